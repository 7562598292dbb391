package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.input.InputEvent;
import dev.vmtree.core.input.LiveInput;
import dev.vmtree.core.input.ReplayInput;
import dev.vmtree.core.loader.Boot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Outside input reaches a guest only through the machine's stamped input: guests/bin/input.elf
 * asks virtio-rng for entropy, then prints each UART byte with the virtual time it saw it.
 */
@Tag("engines")
class StampedInputTest {
    private static final Pattern GOT = Pattern.compile("input: got (.) at (\\d+)");
    private static final Pattern ENTROPY = Pattern.compile("input: entropy asked near \\d+:((?: [0-9a-f]{2})+)");

    record Run(Machine machine, String out, List<InputEvent> events, RunResult result) {}

    private static Run run(ExternalInput input, Console host) throws Exception {
        byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve("input.elf"));
        DeterminismTest.Text text = new DeterminismTest.Text();
        Console console = host == null ? text : new Console() {
            @Override
            public void write(int b) {
                text.write(b);
            }

            @Override
            public int read() {
                return host.read();
            }

            @Override
            public boolean awaitInput() {
                return host.awaitInput();
            }
        };
        Machine m = Boot.boot(new MachineConfig(16L << 20, 1, false, "", List.of(), false, true), console,
                Boot.Images.of(elf));
        m.setInput(input == null ? new LiveInput(console) : input);
        List<InputEvent> events = new ArrayList<>();
        m.setInputListener(events::add);
        RunResult r = m.run(50_000_000);
        return new Run(m, text.out.toString(StandardCharsets.US_ASCII), events, r);
    }

    /** A host console fed from a queue; it never blocks (awaitInput answers whether bytes remain). */
    static Console feeding(String bytes) {
        ArrayDeque<Integer> q = new ArrayDeque<>();
        bytes.chars().forEach(q::add);
        return new Console() {
            @Override
            public void write(int b) {}

            @Override
            public int read() {
                Integer c = q.poll();
                return c == null ? -1 : c;
            }

            @Override
            public boolean awaitInput() {
                return !q.isEmpty();
            }
        };
    }

    @Test
    void consoleBytesAndEntropyArriveAtTheirStampedCounts() throws Exception {
        Run live = run(null, feeding("x."));
        assertThat(live.result().reason()).as(live.out()).isEqualTo(StopReason.SHUTDOWN);
        InputEvent entropy = live.events().stream().filter(e -> e.kind() == InputEvent.Kind.ENTROPY).findFirst()
                .orElseThrow();
        assertThat(entropy.length()).isEqualTo(16);

        long a = 100L * Machine.CHECK_INTERVAL, b = 333L * Machine.CHECK_INTERVAL, dot = 1000L * Machine.CHECK_INTERVAL;
        List<InputEvent> schedule = List.of(entropy,
                new InputEvent(a, InputEvent.Kind.CONSOLE, new byte[] {'a'}),
                new InputEvent(b, InputEvent.Kind.CONSOLE, new byte[] {'b'}),
                new InputEvent(dot, InputEvent.Kind.CONSOLE, new byte[] {'.'}));
        ReplayInput replay = new ReplayInput(schedule);
        Run stamped = run(replay, null);
        assertThat(stamped.result().reason()).as(stamped.out()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(replay.divergence()).isNull();
        assertThat(stamped.events()).as("delivered exactly as stamped").isEqualTo(schedule);

        Matcher e = ENTROPY.matcher(stamped.out());
        assertThat(e.find()).as(stamped.out()).isTrue();
        StringBuilder hex = new StringBuilder();
        for (byte x : entropy.data()) {
            hex.append(String.format(" %02x", x & 0xFF));
        }
        assertThat(e.group(1)).as("the guest got the logged entropy").isEqualTo(hex.toString());

        Matcher g = GOT.matcher(stamped.out());
        long[] stamps = {a, b, dot};
        for (int i = 0; i < 3; i++) {
            assertThat(g.find()).as(stamped.out()).isTrue();
            long seen = Long.parseLong(g.group(2));
            assertThat(seen).as("guest saw byte %d at %d, stamped %d", i, seen, stamps[i])
                    .isBetween(stamps[i], stamps[i] + 2_000);
        }
    }

    @Test
    void aRecordedRunReplaysToTheSameStateAndAnAlteredLogDiverges() throws Exception {
        Run live = run(null, feeding("hello."));
        assertThat(live.result().reason()).isEqualTo(StopReason.SHUTDOWN);
        String id = live.machine().capture().stateId();

        ReplayInput exact = new ReplayInput(live.events());
        Run again = run(exact, null);
        assertThat(exact.divergence()).isNull();
        assertThat(again.out()).isEqualTo(live.out());
        assertThat(again.machine().capture().stateId()).isEqualTo(id);

        List<InputEvent> altered = new ArrayList<>(live.events());
        int entropyAt = indexOf(altered, InputEvent.Kind.ENTROPY);
        InputEvent e0 = altered.get(entropyAt);
        byte[] d = e0.data();
        d[0] ^= 1;
        altered.set(entropyAt, new InputEvent(e0.at(), e0.kind(), d));
        Run other = run(new ReplayInput(altered), null);
        assertThat(other.machine().capture().stateId()).as("other entropy, other state").isNotEqualTo(id);

        List<InputEvent> late = new ArrayList<>(live.events());
        int consoleAt = indexOf(late, InputEvent.Kind.CONSOLE);
        InputEvent e1 = late.get(consoleAt);
        late.set(consoleAt, new InputEvent(e1.at() + 1, e1.kind(), e1.data()));
        late.sort(java.util.Comparator.comparingLong(InputEvent::at));
        ReplayInput shifted = new ReplayInput(late);
        run(shifted, null);
        assertThat(shifted.divergence()).as("a console byte stamped off a check point is never taken")
                .contains("did not take it");
    }

    private static int indexOf(List<InputEvent> events, InputEvent.Kind kind) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).kind() == kind) {
                return i;
            }
        }
        throw new AssertionError("no " + kind + " event in " + events);
    }
}
