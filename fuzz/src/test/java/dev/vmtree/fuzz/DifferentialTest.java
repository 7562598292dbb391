package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential testing of the core against QEMU user mode: random RV64IMAC blocks (see
 * {@link RandomBlock}) must leave identical registers and scratch memory under
 * {@code vmtree exec} and under qemu-riscv64. Seeds are fixed so a failure is reproducible; run
 * other seeds with {@code -Dvmtree.fuzz.seed=N}. A mismatch reports the seed, the differing
 * registers or words and a listing of the program.
 */
@Tag("engines")
class DifferentialTest {
    static final int PROGRAMS = Integer.getInteger("vmtree.fuzz.programs", 200);
    static final int LENGTH = 200;
    private static final long FIRST_SEED = Long.getLong("vmtree.fuzz.seed", 1);
    private static final int REPORTED = 3;

    @Test
    void randomProgramsLeaveTheSameStateAsQemuUserMode(@TempDir Path dir) throws Exception {
        OutsideTools.require("qemu-riscv64");
        List<String> failures = new ArrayList<>();
        int mismatches = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + PROGRAMS; seed++) {
            DiffProgram program = DiffProgram.generate(seed, LENGTH);
            String expected = DiffRunners.qemuUser(program, dir);
            Path elf = DiffRunners.write(dir, "vmtree-" + seed + ".elf", program.elf(DiffProgram.Target.SBI));
            VmtreeExec.Result result = VmtreeExec.exec("--max-instructions", "10000000", elf.toString());
            String got = DiffProgram.extractDump(result.out());
            if (result.exitCode() == 0 && expected.equals(got)) {
                continue;
            }
            mismatches++;
            if (failures.size() < REPORTED) {
                failures.add("seed " + seed + ": exit " + result.exitCode()
                        + (got == null ? ", no dump; output: " + tail(result.all()) + "\n"
                                       : "\n" + DiffProgram.differences(expected, got))
                        + program.describe());
            }
        }
        assertThat(failures).as("%d of %d programs differ from qemu-riscv64", mismatches, PROGRAMS).isEmpty();
    }

    private static String tail(String s) {
        return s.length() <= 400 ? s : "..." + s.substring(s.length() - 400);
    }
}
