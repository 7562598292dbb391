package dev.vmtree.dom0.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ModInfo takes a module's dependencies from its .modinfo section, and checks the ELF it reads. */
class ModInfoTest {
    @Test
    void readsNameDependsSoftdepAndAliases() throws Exception {
        ModInfo m = ModInfo.of(TestDebs.module("license=GPL", "name=ext4", "depends=jbd2,mbcache,crc16",
                "softdep=pre: crypto-crc32c post: other", "alias=fs-ext4", "alias=ext3"), "x");
        assertThat(m).isEqualTo(new ModInfo("ext4", List.of("jbd2", "mbcache", "crc16"), List.of("crypto-crc32c"),
                List.of("fs-ext4", "ext3")));
    }

    @Test
    void anEmptyDependsListAndDashesInNames() throws Exception {
        ModInfo m = ModInfo.of(TestDebs.module("depends=", "name=virtio-rng"), "fallback");
        assertThat(m.name()).isEqualTo("virtio_rng");
        assertThat(m.depends()).isEmpty();
        assertThat(ModInfo.of(TestDebs.module("depends=a-b"), "my-mod")).isEqualTo(
                new ModInfo("my_mod", List.of("a_b"), List.of(), List.of()));
    }

    @Test
    void softdepKeepsOnlyThePreNames() {
        assertThat(ModInfo.softPre("pre: a b post: c pre: d")).containsExactly("a", "b", "d");
        assertThat(ModInfo.softPre("post: c")).isEmpty();
    }

    @Test
    void refusesWhatIsNotARiscVModule() {
        assertThatThrownBy(() -> ModInfo.of(new byte[] {1, 2, 3}, "m")).hasMessage("not an ELF file");
        byte[] x86 = TestDebs.elf(62, ".modinfo", "name=m\0".getBytes());
        assertThatThrownBy(() -> ModInfo.of(x86, "m")).hasMessage("not RISC-V code (ELF machine 62)");
        byte[] noInfo = TestDebs.elf(ModInfo.EM_RISCV, ".text", new byte[8]);
        assertThatThrownBy(() -> ModInfo.of(noInfo, "m")).hasMessage("no .modinfo section");
    }

    @Test
    void sectionsOutsideTheFileAreDamageNotACrash() {
        byte[] m = TestDebs.module("name=m");
        byte[] cut = Arrays.copyOf(m, m.length - 100);
        assertThatThrownBy(() -> ModInfo.of(cut, "m")).isInstanceOf(PackageException.class)
                .hasMessage("damaged ELF file (section headers outside the file)");
        byte[] hostile = m.clone();
        // the .modinfo section header (index 1) claims a size far beyond the file
        int shoff = (int) java.nio.ByteBuffer.wrap(m).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0x28);
        java.nio.ByteBuffer.wrap(hostile).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(shoff + 64 + 0x20, Long.MAX_VALUE);
        assertThatThrownBy(() -> ModInfo.of(hostile, "m")).hasMessage("damaged ELF file (a section outside the file)");
    }
}
