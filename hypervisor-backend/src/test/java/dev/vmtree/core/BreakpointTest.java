package dev.vmtree.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.loader.ElfLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Debugger breakpoints in the decoder (MemorySystem#setBreakpoints): a run stops before the
 * instruction, at the right count, as often as the pc is reached; passing one runs it; and stopping
 * at breakpoints changes nothing the guest can see (the StateId equals an uninterrupted run's).
 */
@Tag("engines")
class BreakpointTest {
    static final Path ELF = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/planted.elf");

    static Machine planted() throws Exception {
        return Boot.boot(new MachineConfig(16 << 20, 1, false, ""), Console.NONE,
                new Boot.Images(Files.readAllBytes(ELF), ELF.toString(), null, null, null, null));
    }

    @Test
    void stopsBeforeTheInstructionEachTimeAndPassesWhenAsked() throws Exception {
        long post = ElfLoader.symbol(Files.readAllBytes(ELF), "post").orElseThrow();
        Machine m = planted();
        m.memory().setBreakpoints(new long[] {post});
        long previous = -1;
        for (int hit = 0; hit < 1000; hit++) {
            RunResult r = m.run(-1);
            assertThat(r.reason()).isEqualTo(StopReason.BREAKPOINT);
            assertThat(m.hart(0).pc()).isEqualTo(post);
            assertThat(m.hart(0).reg(10)).as("a0 = the step post() was called with").isEqualTo(hit);
            long at = m.instructions();
            assertThat(at).isGreaterThan(previous);
            // without passing it, the machine stays put
            RunResult again = m.run(1000);
            assertThat(again.reason()).isEqualTo(StopReason.BREAKPOINT);
            assertThat(again.executed()).isZero();
            assertThat(m.instructions()).isEqualTo(at);
            m.memory().skipBreakpointOnce(post);
            assertThat(m.run(1).executed()).isEqualTo(1);
            m.memory().skipBreakpointOnce(-1);
            previous = at;
        }
        m.memory().setBreakpoints(null);
        assertThat(m.run(-1).reason()).isEqualTo(StopReason.SHUTDOWN);

        Machine straight = planted();
        assertThat(straight.run(-1).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(m.instructions()).isEqualTo(straight.instructions());
        assertThat(m.capture().stateId()).isEqualTo(straight.capture().stateId());
    }
}
