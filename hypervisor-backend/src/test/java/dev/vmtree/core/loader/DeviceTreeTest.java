package dev.vmtree.core.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceTreeTest {

    static boolean haveDtc() {
        try {
            Process p = new ProcessBuilder("dtc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void dtcDecodesTheGeneratedTree(@TempDir Path dir) throws Exception {
        boolean dtc = haveDtc();
        if (!dtc && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("dtc is required in CI");
        }
        assumeTrue(dtc, "dtc not installed");
        MachineConfig config = new MachineConfig(256L << 20, 2, true, "console=hvc0 quiet");
        byte[] blob = Boot.deviceTree(config, new Machine(config, Console.NONE).platform(), 0x8f00_0000L,
                0x8f10_0000L);
        Path f = dir.resolve("t.dtb");
        Files.write(f, blob);
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", f.toString()).redirectErrorStream(true).start();
        String dts = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(dts).isZero();
        assertThat(dts).contains("bootargs = \"console=hvc0 quiet\"")
                .contains("reg = <0x00 0x80000000 0x00 0x10000000>")
                .contains("timebase-frequency = <0x989680>")
                .contains("riscv,isa = \"rv64imafdc_zicntr_zicsr_zifencei\"")
                .contains("riscv,isa-base = \"rv64i\"")
                .contains("compatible = \"google,goldfish-rtc\"")
                .contains("compatible = \"microsoft,vmgenid\"")
                .contains("riscv,isa-extensions = \"i\\0m\\0a\\0f\\0d\\0c\\0zicntr\\0zicsr\\0zifencei\"")
                .contains("mmu-type = \"riscv,sv48\"")
                .contains("cpu@1")
                .contains("linux,initrd-start = <0x00 0x8f000000>")
                .contains("compatible = \"sifive,clint0\\0riscv,clint0\"")
                .contains("interrupts-extended = <0x01 0x03 0x01 0x07 0x02 0x03 0x02 0x07>")
                .contains("stdout-path = \"/serial@10000000\"")
                .contains("serial@10000000 {", "compatible = \"ns16550a\";", "interrupts = <0x0a>;",
                        "interrupt-parent = <0x100>;")
                .contains("plic@c000000 {", "riscv,ndev = <0x1f>;",
                        "interrupts-extended = <0x01 0x0b 0x01 0x09 0x02 0x0b 0x02 0x09>;")
                .contains("test@100000 {", "poweroff {", "compatible = \"syscon-poweroff\";", "value = <0x5555>;",
                        "regmap = <0x101>;")
                .doesNotContain("virtio_mmio");
        // every cpu's interrupt controller carries the phandle the PLIC refers to
        assertThat(dts).containsPattern("cpu@0 \\{[^}]*interrupt-controller \\{[^}]*phandle = <0x01>;")
                .containsPattern("cpu@1 \\{[^}]*interrupt-controller \\{[^}]*phandle = <0x02>;");
        assertThat(dts).doesNotContain("Warning");
    }
}
