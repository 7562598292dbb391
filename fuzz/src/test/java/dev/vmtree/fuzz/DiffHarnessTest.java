package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the differential harness itself before it judges the core: the SBI variant of a random
 * program, run on QEMU's virt machine under OpenSBI, prints exactly the dump the Linux variant
 * prints under qemu-riscv64. (A few seeds: each boots a whole QEMU machine.)
 */
class DiffHarnessTest {

    @Test
    void sbiVariantOnQemuSystemMatchesLinuxVariantOnQemuUser(@TempDir Path dir) throws Exception {
        OutsideTools.require("qemu-riscv64");
        OutsideTools.require("qemu-system-riscv64");
        int programs = Integer.getInteger("vmtree.fuzz.harness.programs", 4);
        for (long seed = 1000; seed < 1000 + programs; seed++) {
            DiffProgram program = DiffProgram.generate(seed, DifferentialTest.LENGTH);
            String user = DiffRunners.qemuUser(program, dir);
            String system = DiffRunners.qemuSystem(program, dir);
            assertThat(system).as("seed %d:%n%s", seed, DiffProgram.differences(user, system)).isEqualTo(user);
        }
    }

    @Test
    void dumpHasEveryRegisterAndScratchWordAndDiffersBetweenSeeds(@TempDir Path dir) throws Exception {
        OutsideTools.require("qemu-riscv64");
        String a = DiffRunners.qemuUser(DiffProgram.generate(7, DifferentialTest.LENGTH), dir);
        String b = DiffRunners.qemuUser(DiffProgram.generate(8, DifferentialTest.LENGTH), dir);
        assertThat(a.split("\n")).hasSize(DiffProgram.DUMP_WORDS).allMatch(line -> line.matches("[0-9a-f]{16}"));
        // x31 holds the fixed scratch base in every program: a sanity anchor for the dump order.
        assertThat(a.split("\n")[30]).isEqualTo(String.format("%016x", DiffProgram.DATA + 2048));
        assertThat(a).isNotEqualTo(b);
    }
}
