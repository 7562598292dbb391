package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential testing of F and D against QEMU user mode: random floating-point programs (see
 * {@link RandomFpBlock}), each starting in one of the five rounding modes and mixing static and
 * dynamic modes, from ±0, subnormals, infinities, quiet and signalling NaNs, values near the integer
 * limits and badly boxed singles, must leave identical x and f registers, fcsr (accrued flags and
 * frm) and scratch memory under {@code vmtree exec} and qemu-riscv64. Seeds are fixed; run others
 * with {@code -Dvmtree.fuzz.fpSeed=N -Dvmtree.fuzz.fpPrograms=M}.
 */
@Tag("engines")
class FpDifferentialTest {
    static final int PROGRAMS = Integer.getInteger("vmtree.fuzz.fpPrograms", 150);
    static final int LENGTH = 300;
    private static final long FIRST_SEED = Long.getLong("vmtree.fuzz.fpSeed", 1);
    private static final int REPORTED = 3;

    @Test
    void randomFloatingPointProgramsLeaveTheSameStateAsQemuUserMode(@TempDir Path dir) throws Exception {
        OutsideTools.require("qemu-riscv64");
        List<String> failures = new ArrayList<>();
        int mismatches = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + PROGRAMS; seed++) {
            DiffProgram program = DiffProgram.generateFloat(seed, LENGTH);
            String expected = DiffRunners.qemuUser(program, dir);
            Path elf = DiffRunners.write(dir, "vmtree-fp-" + seed + ".elf", program.elf(DiffProgram.Target.SBI));
            VmtreeExec.Result result = VmtreeExec.exec("--max-instructions", "10000000", elf.toString());
            String got = DiffProgram.extractDump(result.out());
            if (result.exitCode() == 0 && expected.equals(got)) {
                continue;
            }
            mismatches++;
            if (failures.size() < REPORTED) {
                failures.add("seed " + seed + ": exit " + result.exitCode()
                        + (got == null ? ", no dump; output: " + result.all() + "\n"
                                       : "\n" + DiffProgram.differences(expected, got))
                        + program.describe());
            }
        }
        assertThat(failures).as("%d of %d floating-point programs differ from qemu-riscv64", mismatches, PROGRAMS)
                .isEmpty();
    }
}
