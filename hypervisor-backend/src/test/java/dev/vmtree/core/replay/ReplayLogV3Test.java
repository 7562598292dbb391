package dev.vmtree.core.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.core.input.InputEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ReplayLog format version 3 (docs/format.md "ReplayLog"): a header file and two paged streams. */
@Tag("engines")
class ReplayLogV3Test {
    static ReplayLog decode(ReplayLog.Encoded e) {
        return ReplayLog.decode(e.header(), pages(e.events()), pages(e.data()));
    }

    static ReplayLog.Pages pages(ReplayLog.Stream s) {
        return i -> s.pages().get(Math.toIntExact(i));
    }

    @Test
    void roundTripsEveryKindWithTheCountsInTheHeader() {
        byte[] generation = new byte[16];
        Arrays.fill(generation, (byte) 0x5a);
        ReplayLog log = ReplayLogTest.V1.with(new ReplayEvent.DiskZeroes(7000, 0, 1 << 20, 1L << 30))
                .with(new ReplayEvent.GenerationChange(8000, generation));
        ReplayLog.Encoded e = log.encode();
        assertThat(new String(e.header(), 0, 4)).isEqualTo("VMRL");
        assertThat(e.header()[4]).isEqualTo((byte) 3);
        assertThat(decode(e)).isEqualTo(log);
        ReplayLog.Header h = ReplayLog.header(e.header());
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.start()).isEqualTo(100);
        assertThat(h.events()).isEqualTo(7);
        assertThat(Arrays.copyOfRange(h.counts(), 1, 8)).containsExactly(1, 1, 1, 1, 1, 1, 1);
        assertThat(h.eventBytes()).isEqualTo(e.events().length());
        assertThat(h.dataBytes()).isEqualTo(e.data().length());

        ReplayLog.Encoded empty = ReplayLog.empty(7).encode();
        assertThat(empty.events().pages()).isEmpty();
        assertThat(empty.data().pages()).isEmpty();
        assertThat(ReplayLog.decode(empty.header(), null, null)).isEqualTo(ReplayLog.empty(7));
    }

    @Test
    void aLogFarPastTheChunkLimitRoundTripsAndItsHeaderStaysSmall() {
        List<ReplayEvent> events = new ArrayList<>();
        Random r = new Random(1);
        for (int i = 0; i < 1_500_000; i++) {     // ~1.5 MB of console input: an event list of ~20 MB
            events.add(new ReplayEvent.Input(new InputEvent(1000 + i, InputEvent.Kind.CONSOLE, new byte[] {(byte) r.nextInt()})));
        }
        byte[] block = new byte[1 << 20];
        r.nextBytes(block);
        for (int i = 0; i < 20; i++) {             // 20 MiB of disk writes
            events.add(new ReplayEvent.DiskWrite(2_000_000, 0, (long) i << 20, block));
        }
        ReplayLog log = new ReplayLog(1000, events);
        ReplayLog.Encoded e = log.encode();
        assertThat(e.header().length).isLessThan(100);
        assertThat(e.events().length()).isGreaterThan(16L << 20);
        assertThat(e.data().length()).isGreaterThan(20L << 20);
        assertThat(decode(e)).isEqualTo(log);
    }

    @Test
    void aDiskWriteOfWholeBlocksLiesInThePayloadsAsOnTheDisk() {
        byte[] disk = new byte[4 * ReplayLog.PAGE];
        new Random(2).nextBytes(disk);
        long offset = ReplayLog.PAGE - 100;          // from inside block 0 to inside block 3
        byte[] written = Arrays.copyOfRange(disk, (int) offset, 3 * ReplayLog.PAGE + 7);
        ReplayLog log = new ReplayLog(0, List.of(
                new ReplayEvent.Input(new InputEvent(5, InputEvent.Kind.CONSOLE, "abc".getBytes())),
                new ReplayEvent.DiskWrite(9, 0, offset, written),
                new ReplayEvent.DiskWrite(9, 0, 17, new byte[] {1, 2, 3})));   // less than a block: packed
        ReplayLog.Encoded e = log.encode();
        List<byte[]> pages = e.data().pages();
        // blocks 1 and 2 of the disk are whole pages of the payload stream: the same chunks
        assertThat(pages.stream().filter(p -> p != null && Arrays.equals(p,
                Arrays.copyOfRange(disk, ReplayLog.PAGE, 2 * ReplayLog.PAGE))).count()).isEqualTo(1);
        assertThat(pages.stream().filter(p -> p != null && Arrays.equals(p,
                Arrays.copyOfRange(disk, 2 * ReplayLog.PAGE, 3 * ReplayLog.PAGE))).count()).isEqualTo(1);
        assertThat(decode(e)).isEqualTo(log);
        assertThat(ReplayLogV3.place(3, 17, 3)).isEqualTo(3);
        assertThat(ReplayLogV3.place(3, ReplayLog.PAGE, ReplayLog.PAGE)).isEqualTo(ReplayLog.PAGE);
        assertThat(ReplayLogV3.place(ReplayLog.PAGE + 5, 2 * ReplayLog.PAGE - 1, ReplayLog.PAGE + 1))
                .isEqualTo(2L * ReplayLog.PAGE - 1);
    }

    @Test
    void damagedHeadersAndStreamsAreOneLineErrors() {
        ReplayLog.Encoded e = ReplayLogTest.V1.encode();
        for (int cut = 0; cut < e.header().length; cut++) {
            byte[] t = Arrays.copyOf(e.header(), cut);
            assertThatThrownBy(() -> ReplayLog.decode(t, pages(e.events()), pages(e.data())))
                    .isInstanceOf(CorruptDataException.class).hasMessageStartingWith("replay log");
        }
        byte[] count = e.header().clone();
        count[13] = (byte) 0xff;
        assertThatThrownBy(() -> ReplayLog.decode(count, pages(e.events()), pages(e.data())))
                .isInstanceOf(CorruptDataException.class).hasMessageStartingWith("replay log");
        assertThatThrownBy(() -> ReplayLog.decode(e.header(), null, pages(e.data())))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("event list of a version 3 log is missing");
        assertThatThrownBy(() -> ReplayLog.decode(e.header()))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("streams");
        Random r = new Random(5);
        byte[] page = e.events().pages().getFirst();
        for (int i = 0; i < 3000; i++) {
            byte[] t = page.clone();
            t[r.nextInt((int) e.events().length())] ^= (byte) (1 << r.nextInt(8));
            try {
                ReplayLog.decode(e.header(), x -> t, pages(e.data()));      // some flips still decode: fine
            } catch (CorruptDataException ex) {
                assertThat(ex.getMessage()).startsWith("replay log").doesNotContain("\n");
            }
        }
        assertThatThrownBy(() -> ReplayLog.decode(e.header(), x -> new byte[3], pages(e.data())))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("page 0 has 3 bytes");
    }
}
