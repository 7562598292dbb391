package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the guest programs themselves on QEMU, so that {@link GuestProgramsTest} judges the core
 * with checks known to be right: S-mode programs on {@code qemu-system-riscv64 -M virt -bios
 * default} (OpenSBI), the M-mode program on {@code -M spike -bios none}, whose HTIF exit status is
 * tohost >> 1. The benchmarks run to completion here.
 */
class GuestsOnQemuTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vmtree.fuzz.GuestProgramsTest#guests")
    void guestProgramPassesOnQemu(GuestProgramsTest.Guest guest) throws Exception {
        String qemu = OutsideTools.require("qemu-system-riscv64").toString();
        String elf = GuestProgramsTest.bin().resolve(guest.name() + ".elf").toString();
        List<String> command = new ArrayList<>(List.of(qemu, "-nographic"));
        if (guest.options().contains("--m-mode")) {
            command.addAll(List.of("-M", "spike", "-bios", "none", "-kernel", elf));
            OutsideTools.Run run = OutsideTools.run(command, null, 120);
            assertThat(run.exitCode()).as("failing check number of %s", guest.name()).isZero();
            return;
        }
        command.addAll(List.of("-M", "virt", "-bios", "default", "-kernel", elf));
        if (guest.options().contains("--harts")) {
            command.addAll(List.of("-smp", guest.options().get(guest.options().indexOf("--harts") + 1)));
        }
        OutsideTools.Run run = OutsideTools.run(command, null, 120);
        String console = run.out().replace("\r", "");
        String verdict = guest.exitCode() == 3 ? guest.name() + ": PASS" : guest.line();
        assertThat(console.lines()).as("console of %s", guest.name()).contains(verdict);
        assertThat(console).as("console of %s", guest.name()).doesNotContain("FAIL ");
    }
}
