package dev.vmtree.core.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.input.InputEvent;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The ReplayLog file format (docs/format.md "ReplayLog"): round trips, versions, and hostile bytes. */
@Tag("engines")
class ReplayLogTest {
    static final ReplayLog V1 = new ReplayLog(100, List.of(
            new ReplayEvent.Input(new InputEvent(4096, InputEvent.Kind.CONSOLE, "set a 5\n".getBytes())),
            new ReplayEvent.Input(new InputEvent(5000, InputEvent.Kind.ENTROPY, new byte[] {1, 2, 3, 4})),
            new ReplayEvent.MemoryWrite(5000, 0x8040_0000L, new byte[] {(byte) 0xca, (byte) 0xfe}),
            new ReplayEvent.RegisterWrite(5000, 1, "mscratch", -2),
            new ReplayEvent.DiskWrite(6000, 0, 65536, new byte[] {9, 9})));

    @Test
    void theSingleFileEncodingRoundTripsAndWritesVersionOneUnlessItNeedsTwo() {
        byte[] b = V1.encodeSingleFile();
        assertThat(new String(b, 0, 4)).isEqualTo("VMRL");
        assertThat(b[4]).isEqualTo((byte) 1);
        assertThat(ReplayLog.decode(b)).isEqualTo(V1);
        assertThat(ReplayLog.decode(b).inputs()).hasSize(2);

        ReplayLog v2 = V1.with(new ReplayEvent.DiskZeroes(7000, 0, 1 << 20, 1L << 30));
        byte[] c = v2.encodeSingleFile();
        assertThat(c[4]).isEqualTo((byte) 2);
        assertThat(ReplayLog.decode(c)).isEqualTo(v2);
        assertThat(ReplayLog.decode(ReplayLog.empty(7).encodeSingleFile())).isEqualTo(ReplayLog.empty(7));
    }

    @Test
    void aVersionOneFileCannotHoldAVersionTwoEvent() {
        byte[] c = V1.with(new ReplayEvent.DiskZeroes(7000, 0, 0, 512)).encodeSingleFile();
        c[4] = 1;
        assertThatThrownBy(() -> ReplayLog.decode(c)).hasMessageContaining("needs version 2");
        c[4] = 4;
        assertThatThrownBy(() -> ReplayLog.decode(c)).hasMessageContaining("version 4 keeps its events in streams");
        c[4] = 5;
        assertThatThrownBy(() -> ReplayLog.decode(c)).hasMessageContaining("version 5 is not supported");
    }

    @Test
    void aGenerationChangeRoundTripsInVersionThreeAndIsRefusedInTheSingleFileVersions() {
        byte[] id = new byte[16];
        id[0] = 1;
        id[15] = (byte) 0xff;
        ReplayLog log = V1.with(new ReplayEvent.GenerationChange(9000, id));
        ReplayLog.Encoded e = log.encode();
        assertThat(e.header()[4]).isEqualTo((byte) 3);
        assertThat(ReplayLogV3Test.decode(e)).isEqualTo(log);
        assertThat(ReplayLog.header(e.header()).counts()[7]).isEqualTo(1);

        assertThatThrownBy(log::encodeSingleFile).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only in version 3");
        // a single-file log with the event as an unreleased build wrote it: kind 7, instruction 9000, the 16 bytes
        byte[] empty = ReplayLog.empty(100).encodeSingleFile();
        java.nio.ByteBuffer f = java.nio.ByteBuffer.allocate(empty.length + 1 + 8 + 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        f.put(empty).put((byte) 7).putLong(9000).put(id);
        byte[] c = f.array();
        c[13] = 1;                                // one event
        for (int version = 1; version <= 2; version++) {
            c[4] = (byte) version;
            assertThatThrownBy(() -> ReplayLog.decode(c)).isInstanceOf(dev.vmtree.core.CorruptDataException.class)
                    .hasMessageStartingWith("replay log: event kind 7 (a generation change) exists only in version 3")
                    .message().doesNotContain("\n");
        }
    }

    @Test
    void malformedBytesAreOneLineErrors() {
        byte[] b = V1.encodeSingleFile();
        for (int cut = 0; cut < b.length; cut++) {
            byte[] t = Arrays.copyOf(b, cut);
            assertThatThrownBy(() -> ReplayLog.decode(t)).isInstanceOf(dev.vmtree.core.CorruptDataException.class)
                    .hasMessageStartingWith("replay log");
        }
        byte[] trailing = Arrays.copyOf(b, b.length + 1);
        assertThatThrownBy(() -> ReplayLog.decode(trailing)).hasMessageContaining("after the end");
        Random r = new Random(5);
        for (int i = 0; i < 2000; i++) {
            byte[] t = b.clone();
            t[r.nextInt(t.length)] ^= (byte) (1 << r.nextInt(8));
            try {
                ReplayLog.decode(t);            // some flips still decode (a data byte): fine
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).startsWith("replay log").doesNotContain("\n");
            }
        }
        byte[] huge = b.clone();
        huge[13] = (byte) 0xff;                  // event count far beyond what the bytes can hold
        huge[14] = (byte) 0xff;
        assertThatThrownBy(() -> ReplayLog.decode(huge)).hasMessageContaining("cannot fit");
    }

    @Test
    void eventsMustNotGoBackInTime() {
        assertThatThrownBy(() -> new ReplayLog(10, List.of(new ReplayEvent.MemoryWrite(5, 0, new byte[1]))))
                .hasMessageContaining("out of order");
        assertThatThrownBy(() -> new ReplayEvent.DiskZeroes(1, 0, -1, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
