package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.MachineType;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.input.InputEvent;
import dev.vmtree.core.input.ReplayInput;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.replay.ReplayLog;
import dev.vmtree.core.state.ExecutionState;
import dev.vmtree.core.state.StateCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Frames reach a guest only as stamped input, and what the guest sends follows from them:
 * guests/bin/netecho.elf answers every frame its virtio-net card receives with the frame turned round
 * and the virtual time it saw it.
 */
@Tag("engines")
class NetworkInputTest {
    static final byte[] MAC = {0x02, 0x76, 0x6d, 0x74, 0x00, 0x2a};
    static final byte[] PEER = {0x02, 0, 0, 0, 0, 0x07};
    private static final Pattern SAW = Pattern.compile("netecho: (\\d+) bytes at (\\d+)");

    record Run(Machine machine, String out, List<InputEvent> events, List<byte[]> sent, RunResult result) {}

    static MachineConfig config() {
        return new MachineConfig(16L << 20, 1, false, "", List.of(), false, false, MachineType.CURRENT, 0,
                List.of(new MachineConfig.Nic(MAC)));
    }

    static byte[] frame(int type, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] f = new byte[Math.max(60, 14 + p.length)];
        System.arraycopy(MAC, 0, f, 0, 6);
        System.arraycopy(PEER, 0, f, 6, 6);
        f[12] = (byte) (type >>> 8);
        f[13] = (byte) type;
        System.arraycopy(p, 0, f, 14, p.length);
        return f;
    }

    private static Run run(ExternalInput input, java.util.function.Consumer<byte[]> peer, long budget) throws Exception {
        byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve("netecho.elf"));
        DeterminismTest.Text text = new DeterminismTest.Text();
        Machine m = Boot.boot(config(), text, Boot.Images.of(elf));
        m.setInput(input);
        List<InputEvent> events = new ArrayList<>();
        m.setInputListener(events::add);
        List<byte[]> sent = new ArrayList<>();
        m.setFrameSink((f, off, len) -> {
            byte[] copy = Arrays.copyOfRange(f, off, off + len);
            sent.add(copy);
            if (peer != null) {
                peer.accept(copy);
            }
        });
        RunResult r = m.run(budget);
        return new Run(m, text.out.toString(StandardCharsets.US_ASCII), events, sent, r);
    }

    /** A peer on the wire that answers each echo with its next frame, until it has sent them all. */
    static final class PingPong implements ExternalInput {
        final ArrayDeque<byte[]> due = new ArrayDeque<>();
        final ArrayDeque<byte[]> rest = new ArrayDeque<>();

        PingPong(List<byte[]> frames) {
            due.add(frames.getFirst());
            rest.addAll(frames.subList(1, frames.size()));
        }

        void answered(byte[] echo) {
            if (!rest.isEmpty()) {
                due.add(rest.removeFirst());
            }
        }

        @Override
        public int console(long now, boolean idle, byte[] dst, int max) {
            return 0;
        }

        @Override
        public void entropy(long now, byte[] dst, int off, int len) {
            Arrays.fill(dst, off, off + len, (byte) 0);
        }

        @Override
        public int frame(long now, byte[] dst) {
            byte[] f = due.poll();
            if (f == null) {
                return 0;
            }
            System.arraycopy(f, 0, dst, 0, f.length);
            return f.length;
        }

        @Override
        public boolean awaitConsole(long now) {
            return !due.isEmpty();
        }
    }

    @Test
    void framesArriveAtTheirStampedCountsAndTheAnswersFollowFromThem() throws Exception {
        long a = 200L * Machine.CHECK_INTERVAL, b = 517L * Machine.CHECK_INTERVAL, c = 900L * Machine.CHECK_INTERVAL;
        List<InputEvent> schedule = List.of(
                new InputEvent(a, InputEvent.Kind.FRAME, frame(0x0800, "first")),
                new InputEvent(b, InputEvent.Kind.FRAME, frame(0x0800, "second, a little longer")),
                new InputEvent(c, InputEvent.Kind.FRAME, frame(0x88b5, "bye")));
        ReplayInput replay = new ReplayInput(schedule);
        Run r = run(replay, null, 50_000_000);
        assertThat(r.result().reason()).as(r.out()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(r.out()).startsWith("netecho: card 02:76:6d:74:00:2a at irq 1\n");
        assertThat(replay.divergence()).isNull();
        assertThat(r.events()).as("delivered exactly as stamped").isEqualTo(schedule);

        Matcher saw = SAW.matcher(r.out());
        assertThat(r.sent()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            byte[] in = schedule.get(i).data(), out = r.sent().get(i);
            assertThat(saw.find()).as(r.out()).isTrue();
            long seen = Long.parseLong(saw.group(2));
            assertThat(seen).as("frame %d seen at %d, stamped %d", i, seen, schedule.get(i).at())
                    .isBetween(schedule.get(i).at(), schedule.get(i).at() + 2_000);
            assertThat(Integer.parseInt(saw.group(1))).isEqualTo(in.length);
            assertThat(Arrays.copyOfRange(out, 0, 6)).as("to the sender").isEqualTo(PEER);
            assertThat(Arrays.copyOfRange(out, 6, 12)).as("from the card").isEqualTo(MAC);
            long stamp = 0;
            for (int k = 7; k >= 0; k--) {
                stamp = stamp << 8 | (out[14 + k] & 0xFF);
            }
            assertThat(stamp).isEqualTo(seen);
            assertThat(Arrays.copyOfRange(out, 22, out.length)).isEqualTo(Arrays.copyOfRange(in, 22, in.length));
        }
        assertThat(r.machine().networkCard().counters().received()).isEqualTo(3);
    }

    @Test
    void aRunWithAPeerReplaysFromItsLogAloneToTheSameStateAndTheSameFrames() throws Exception {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            frames.add(frame(0x0800, "ping " + i));
        }
        frames.add(frame(0x88b5, "bye"));
        PingPong peer = new PingPong(frames);
        Run live = run(peer, peer::answered, 100_000_000);
        assertThat(live.result().reason()).as(live.out()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(live.sent()).hasSize(21);
        assertThat(live.events()).hasSize(21).allMatch(e -> e.kind() == InputEvent.Kind.FRAME);
        String id = live.machine().capture().stateId();

        // the log as stored: version 4, and it decodes to the same events
        ReplayLog log = new ReplayLog(0, live.events().stream().map(e -> (ReplayEvent) new ReplayEvent.Input(e)).toList());
        ReplayLog.Encoded enc = log.encode();
        assertThat(enc.header()[4]).isEqualTo((byte) 4);
        assertThat(ReplayLog.header(enc.header()).counts()[8]).isEqualTo(21);

        ReplayInput replay = new ReplayInput(live.events());
        Run again = run(replay, null, 100_000_000);   // no peer: the log alone
        assertThat(replay.divergence()).isNull();
        assertThat(again.out()).isEqualTo(live.out());
        assertThat(again.machine().capture().stateId()).isEqualTo(id);
        assertThat(again.sent()).hasSize(21);
        for (int i = 0; i < 21; i++) {
            assertThat(again.sent().get(i)).isEqualTo(live.sent().get(i));
        }
    }

    @Test
    void aStateCapturedMidRunWithFramesWaitingRestoresAndGoesOnExactly() throws Exception {
        long at = 300L * Machine.CHECK_INTERVAL;
        List<InputEvent> schedule = new ArrayList<>();
        for (int i = 0; i < 6; i++) {           // six frames at one count: four buffers, two wait in the card
            schedule.add(new InputEvent(at, InputEvent.Kind.FRAME, frame(0x0800, "burst " + i)));
        }
        schedule.add(new InputEvent(at + 400L * Machine.CHECK_INTERVAL, InputEvent.Kind.FRAME, frame(0x88b5, "bye")));
        Run whole = run(new ReplayInput(schedule), null, 50_000_000);
        assertThat(whole.result().reason()).as(whole.out()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(whole.sent()).hasSize(7);

        byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve("netecho.elf"));
        DeterminismTest.Text text = new DeterminismTest.Text();
        Machine first = Boot.boot(config(), text, Boot.Images.of(elf));
        ReplayInput input = new ReplayInput(schedule);
        first.setInput(input);
        first.run(at + 1);                      // just past the burst: frames are waiting in the card
        assertThat(first.networkCard().pendingFrames()).isPositive();
        var mid = first.capture();
        byte[] encoded = StateCodec.encode(mid.execution());
        ExecutionState decoded = StateCodec.decode(encoded);
        assertThat(decoded.layout().nics()).containsExactly(new MachineConfig.Nic(MAC));
        assertThat(StateCodec.encode(decoded)).isEqualTo(encoded);

        Machine second = Machine.restore(mid, text, new ReplayInput(schedule.subList(6, 7)));
        List<byte[]> sent = new ArrayList<>();
        second.setFrameSink((f, off, len) -> sent.add(Arrays.copyOfRange(f, off, off + len)));
        RunResult r = second.run(50_000_000);
        assertThat(r.reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(second.capture().stateId()).isEqualTo(whole.machine().capture().stateId());
        assertThat(sent).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void aMachineWithoutACardEncodesAsBefore() throws Exception {
        byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve("hello.elf"));
        MachineConfig plain = new MachineConfig(16L << 20, 1, false, "", List.of(), false, false);
        Machine m = Boot.boot(plain, Console.NONE, Boot.Images.of(elf));
        byte[] enc = StateCodec.encode(m.capture().execution());
        assertThat(StateCodec.decode(enc).layout().nics()).isEmpty();
        // three sections (FPRS, GFRT, VGID): the count sits right after the device record
        assertThat(new String(enc, StandardCharsets.ISO_8859_1)).doesNotContain("NICS");
    }
}
