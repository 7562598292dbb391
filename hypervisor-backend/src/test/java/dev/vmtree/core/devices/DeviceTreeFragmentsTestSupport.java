package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtree.core.loader.DeviceTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Shared by the dtc tests: a root with two harts' interrupt controllers (phandles 1, 2) and decoding through dtc. */
final class DeviceTreeFragmentsTestSupport {
    private DeviceTreeFragmentsTestSupport() {}

    static boolean haveDtc() {
        try {
            Process p = new ProcessBuilder("dtc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** An open root node with /cpus closed, as the Machine writes it; the caller adds devices and ends the root. */
    static DeviceTree rootWithTwoHarts() {
        DeviceTree t = new DeviceTree().begin("").cells("#address-cells", 2).cells("#size-cells", 2)
                .string("compatible", "vmtree,virt");
        t.begin("cpus").cells("#address-cells", 1).cells("#size-cells", 0).cells("timebase-frequency", 10_000_000);
        for (int i = 0; i < 2; i++) {
            t.begin("cpu@" + i).string("device_type", "cpu").cells("reg", i).string("compatible", "riscv")
                    .string("riscv,isa", "rv64imac").string("mmu-type", "riscv,sv48");
            t.begin("interrupt-controller").cells("#address-cells", 0).cells("#interrupt-cells", 1).empty("interrupt-controller")
                    .string("compatible", "riscv,cpu-intc").cells("phandle", 1 + i).end();
            t.end();
        }
        return t.end();
    }

    /** The blob as dts text, after checking dtc decodes it without a single warning (fails in CI without dtc, skips elsewhere). */
    static String decode(Path dir, byte[] blob) throws Exception {
        boolean dtc = haveDtc();
        if (!dtc && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("dtc is required in CI");
        }
        assumeTrue(dtc, "dtc not installed");
        Path f = dir.resolve("t.dtb");
        Files.write(f, blob);
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", "-o", dir.resolve("t.dts").toString(), f.toString())
                .redirectErrorStream(true).start();
        String messages = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(messages).isEmpty();
        return Files.readString(dir.resolve("t.dts"));
    }
}
