package dev.vmtree.core.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.Console;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.mem.Bus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ElfLoaderTest {
    static final byte[] CODE = {0x13, 0, 0, 0, 0x6F, 0, 0, 0};
    static final long AT = Bus.RAM_BASE + 0x20_0000;

    @Test
    void parsesSegmentsEntryAndTohost() throws Exception {
        ElfImage image = ElfLoader.parse(Elfs.executable(CODE, AT, AT + 0x1000), "t");
        assertThat(image.entry()).isEqualTo(AT);
        assertThat(image.segments()).hasSize(1);
        assertThat(image.segments().get(0).memSize()).isEqualTo(CODE.length + 4096L);
        assertThat(image.tohost()).hasValue(AT + 0x1000);
    }

    private static void rejects(byte[] file, String message) {
        assertThatThrownBy(() -> Boot.boot(MachineConfig.hypervisor(16 << 20), Console.NONE, Boot.Images.of(file)))
                .isInstanceOf(LoadException.class).hasMessageContaining(message);
    }

    private static byte[] patched(java.util.function.Consumer<ByteBuffer> patch) {
        byte[] f = Elfs.executable(CODE, AT, -1);
        patch.accept(ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN));
        return f;
    }

    @Test
    void malformedFilesGiveOneLineErrors() {
        byte[] good = Elfs.executable(CODE, AT, AT + 0x1000);
        rejects(Arrays.copyOf(good, 40), "truncated ELF header");
        rejects(patched(b -> b.put(4, (byte) 1)), "not a 64-bit ELF");
        rejects(patched(b -> b.put(5, (byte) 2)), "not a little-endian");
        rejects(patched(b -> b.putShort(18, (short) 62)), "is not RISC-V");
        rejects(patched(b -> b.putShort(16, (short) 1)), "is not an executable");
        rejects(patched(b -> b.putLong(32, 1L << 40)), "program header table lies outside");
        rejects(patched(b -> b.putLong(64 + 32, 1L << 40)), "segment 0 has bad sizes");
        rejects(patched(b -> b.putLong(64 + 24, 0x1000)), "lies outside RAM");
        rejects(patched(b -> b.putShort(56, (short) 0)), "no program headers");
        rejects(Arrays.copyOf(good, good.length - 10), "section header table lies outside");
        rejects(new byte[0], "empty file");
    }

    @Test
    void memoryTooSmallForARawImageOrInitrdIsReported() {
        assertThatThrownBy(() -> Boot.boot(MachineConfig.hypervisor(64 << 10), Console.NONE, Boot.Images.of(CODE)))
                .isInstanceOf(LoadException.class).hasMessageContaining("memory too small");
        byte[] big = new byte[4 << 20];
        assertThatThrownBy(() -> Boot.boot(MachineConfig.hypervisor(4 << 20), Console.NONE, Boot.Images.of(big)))
                .isInstanceOf(LoadException.class).hasMessageContaining("memory too small");
        Boot.Images withInitrd = new Boot.Images(CODE, "p", null, null, new byte[3 << 20], "initrd");
        assertThatThrownBy(() -> Boot.boot(MachineConfig.hypervisor(4 << 20), Console.NONE, withInitrd))
                .isInstanceOf(LoadException.class).hasMessageContaining("initrd");
    }

    @Test
    void rawProgramsLoadAt2MiBInHypervisorModeAndAtRamBaseInMachineMode() throws Exception {
        var hv = Boot.boot(MachineConfig.hypervisor(8 << 20), Console.NONE, Boot.Images.of(CODE));
        assertThat(hv.hart(0).pc()).isEqualTo(Boot.RAW_SUPERVISOR);
        assertThat(hv.hart(0).privilege()).isEqualTo(1);
        assertThat(hv.hart(0).reg(11)).isEqualTo(Bus.RAM_BASE + (8 << 20) - Boot.BOOT_BLOCK + Boot.DTB_OFFSET);
        var mm = Boot.boot(MachineConfig.bareMetal(8 << 20), Console.NONE, Boot.Images.of(CODE));
        assertThat(mm.hart(0).pc()).isEqualTo(Boot.RAW_MACHINE);
        assertThat(mm.hart(0).privilege()).isEqualTo(3);
    }

    @Test
    void firmwareGetsAnFwDynamicInfoRecordInA2() throws Exception {
        byte[] fw = Elfs.executable(CODE, Bus.RAM_BASE, -1);
        byte[] payload = Elfs.executable(CODE, AT, -1);
        var m = Boot.boot(new MachineConfig(8 << 20, 2, true, ""), Console.NONE,
                new Boot.Images(payload, "p", fw, "fw", null, null));
        long info = m.hart(1).reg(12);
        var ram = m.bus().ram();
        long off = info - Bus.RAM_BASE;
        assertThat(m.hart(1).pc()).isEqualTo(Bus.RAM_BASE);
        assertThat(m.hart(1).reg(10)).isEqualTo(1);
        assertThat(ram.load(off, 8)).isEqualTo(Boot.FW_DYNAMIC_MAGIC);
        assertThat(ram.load(off + 8, 8)).isEqualTo(2);
        assertThat(ram.load(off + 16, 8)).isEqualTo(AT);
        assertThat(ram.load(off + 24, 8)).isEqualTo(1);
        byte[] overlapping = Elfs.executable(CODE, Bus.RAM_BASE, -1);
        assertThatThrownBy(() -> Boot.boot(new MachineConfig(8 << 20, 1, true, ""), Console.NONE,
                new Boot.Images(overlapping, "p", fw, "fw", null, null))).hasMessageContaining("overlaps");
    }
}
