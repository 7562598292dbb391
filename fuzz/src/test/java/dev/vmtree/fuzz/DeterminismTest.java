package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.state.MachineState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 4's determinism promise: one run of 10^8 instructions and the same run cut by
 * capture/restore at 100 random points (mid-slice, with interrupts pending) end in one StateId,
 * and another JVM computes the same one.
 */
@Tag("engines")
class DeterminismTest {
    static final long LENGTH = 100_000_000L;

    /** Console output collected as text. */
    static final class Text implements Console {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            out.write(b);
        }

        @Override
        public int read() {
            return -1;
        }
    }

    @Test
    void aRunSplitByCaptureAndRestoreAtAHundredPointsEndsInTheSameStateId() throws Exception {
        Text wholeOut = new Text();
        Machine whole = ChurnRuns.boot(wholeOut);
        ChurnRuns.run(whole, LENGTH);
        String expected = whole.capture().stateId();

        Random random = new Random(20261124);
        long[] cuts = random.longs(100, 1, LENGTH).sorted().distinct().toArray();
        assertThat(cuts).hasSize(100);
        Text splitOut = new Text();
        Machine m = ChurnRuns.boot(splitOut);
        int pendingAtCut = 0, midSlice = 0, waitingAtCut = 0;
        long at = 0;
        for (long cut : cuts) {
            ChurnRuns.run(m, cut - at);
            at = cut;
            for (Hart h : m.harts()) {
                if ((h.mip() & h.mie()) != 0) {
                    pendingAtCut++;
                }
                if (h.waitingForInterrupt()) {
                    waitingAtCut++;
                }
            }
            if (cut % Machine.CHECK_INTERVAL != 0) {
                midSlice++;
            }
            MachineState state = m.capture();
            m = Machine.restore(state, splitOut, ExternalInput.NONE);
            assertThat(m.instructions()).isEqualTo(cut);
        }
        ChurnRuns.run(m, LENGTH - at);

        assertThat(m.capture().stateId()).isEqualTo(expected);
        assertThat(splitOut.out.toString(StandardCharsets.US_ASCII)).isEqualTo(wholeOut.out.toString(StandardCharsets.US_ASCII))
                .startsWith("churn: start").contains("....");
        assertThat(midSlice).as("cuts inside a check interval").isGreaterThan(90);
        assertThat(pendingAtCut).as("cuts with an enabled interrupt pending").isPositive();
        System.out.printf("determinism: %d cuts, %d with interrupts pending, %d with a hart in wfi%n", cuts.length,
                pendingAtCut, waitingAtCut);
    }

    @Test
    void anotherJvmComputesTheSameStateIdForTheWholeRun() throws Exception {
        long n = LENGTH;
        Machine m = ChurnRuns.boot(Console.NONE);
        ChurnRuns.run(m, n);
        String here = m.capture().stateId();

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dvmtree.project.root=" + OutsideTools.projectRoot(),
                ChurnRuns.class.getName(), Long.toString(n)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out).matches("[0-9a-f]{64}").isEqualTo(here);
    }

    @Test
    void theStateIdChangesWithOneInstructionMoreOrOneByteOfRam() {
        Machine a = ChurnRuns.boot(Console.NONE);
        ChurnRuns.run(a, 1_000_000);
        MachineState s = a.capture();
        Machine b = Machine.restore(s, Console.NONE, ExternalInput.NONE);
        assertThat(b.capture().stateId()).isEqualTo(s.stateId());
        ChurnRuns.run(b, 1);
        assertThat(b.capture().stateId()).isNotEqualTo(s.stateId());
        Machine c = Machine.restore(s, Console.NONE, ExternalInput.NONE);
        byte[] one = new byte[1];
        assertThat(c.memory().readRam(0x80F0_0000L, one, 0, 1)).isTrue();
        one[0] ^= 1;
        assertThat(c.memory().writeRam(0x80F0_0000L, one, 0, 1)).isTrue();
        assertThat(c.capture().stateId()).isNotEqualTo(s.stateId());
        assertThat(a.capture().stateId()).as("capturing again without running").isEqualTo(s.stateId());
    }
}
