package dev.vmtree.dom0.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DebImport builds the initramfs from synthetic packages, and refuses bad or hostile ones with one line. */
class DebImportTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] b) throws Exception {
        return Files.write(dir.resolve(name), b);
    }

    private static List<Cpio.Entry> initramfs(DebImport.Result r) throws Exception {
        return Cpio.read(r.initramfs());
    }

    @Test
    void theInitramfsHoldsBusyboxInitAndThePlatformModulesDependenciesFirst() throws Exception {
        Path k = write("linux.deb", TestDebs.kernelDeb());
        Path b = write("busybox.deb", TestDebs.busyboxDeb());
        DebImport.Result r = DebImport.of(List.of(b, k), "debian");
        assertThat(r.release()).isEqualTo(TestDebs.RELEASE);
        assertThat(r.kernel()).isEqualTo(TestDebs.kernel(0x5064, 4096));
        assertThat(r.busyboxVersion()).isEqualTo("1.36.1");
        // ext4's soft pre-dependency crypto-crc32c is found by alias; jbd2 names it too but it loads once
        assertThat(r.modules()).containsExactly("crc32c_generic", "jbd2", "mbcache", "crc16", "ext4", "virtio_blk",
                "virtio_rng", "virtio_mmio");
        List<Cpio.Entry> e = initramfs(r);
        String lib = "lib/modules/" + TestDebs.RELEASE + "/";
        assertThat(TestDebs.names(e)).contains("init", "bin/busybox", "bin/sh", "dev/console", "mnt", lib + "ext4.ko",
                lib + "virtio_mmio.ko").doesNotContain(lib + "unused.ko");
        Cpio.Entry ext4 = e.stream().filter(x -> x.name().equals(lib + "ext4.ko")).findFirst().orElseThrow();
        assertThat(ModInfo.of(ext4.data(), "?").name()).isEqualTo("ext4"); // stored decompressed
        // and without its signature (the package's ext4.ko.xz is signed)
        assertThat(ext4.data()).isEqualTo(TestDebs.module("name=ext4", "depends=jbd2,mbcache,crc16",
                "softdep=pre: crypto-crc32c"));
        Cpio.Entry mmio = e.stream().filter(x -> x.name().equals(lib + "virtio_mmio.ko")).findFirst().orElseThrow();
        assertThat(ModInfo.of(mmio.data(), "?").name()).isEqualTo("virtio_mmio"); // from .ko.zst
        String init = new String(e.stream().filter(x -> x.name().equals("init")).findFirst().orElseThrow().data(),
                StandardCharsets.UTF_8);
        assertThat(init).startsWith("#!/bin/sh\n").contains("mount -t devtmpfs devtmpfs /dev")
                .contains("for m in crc32c_generic jbd2 mbcache crc16 ext4 virtio_blk virtio_rng virtio_mmio; do")
                .contains("mount /dev/vda /mnt").contains("setsid cttyhack /bin/sh");
        assertThat(e.stream().filter(x -> x.name().equals("init")).findFirst().orElseThrow().mode())
                .isEqualTo(Cpio.S_IFREG | 0755);
    }

    @Test
    void zstdAndGzipDataArchivesAreReadToo() throws Exception {
        Path k = write("linux.deb", TestDebs.debWithData("data.tar.zst", TestDebs.zstd(TestDebs.tar(TestDebs.kernelFiles()))));
        Map<String, byte[]> bb = Map.of("./bin/busybox", TestDebs.busybox());
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (var g = new java.util.zip.GZIPOutputStream(gz)) {
            g.write(TestDebs.tar(bb));
        }
        Path b = write("busybox.deb", TestDebs.debWithData("data.tar.gz", gz.toByteArray()));
        assertThat(DebImport.of(List.of(k, b), "d").modules()).contains("ext4");
    }

    @Test
    void aFileThatIsNotAPackage() throws Exception {
        Path p = write("notes.deb", "just some text\n".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> DebImport.of(List.of(p), "d")).isInstanceOf(PackageException.class)
                .hasMessage(p + ": not a Debian package (no ar archive header)");
        Path other = write("lib.a", TestDebs.ar(Map.of("foo.o", new byte[10])));
        assertThatThrownBy(() -> DebImport.of(List.of(other), "d"))
                .hasMessage(other + ": not a Debian package (its first member is 'foo.o', not debian-binary)");
    }

    @Test
    void aTruncatedPackage() throws Exception {
        byte[] deb = TestDebs.kernelDeb();
        Path p = write("cut.deb", Arrays.copyOf(deb, deb.length - 500));
        assertThatThrownBy(() -> DebImport.of(List.of(p), "d")).isInstanceOf(PackageException.class)
                .hasMessageStartingWith(p + ": truncated ar archive");
        // a data member whose xz stream is cut but whose ar size is honest
        byte[] xz = TestDebs.xz(TestDebs.tar(TestDebs.kernelFiles()));
        Path q = write("cut-xz.deb", TestDebs.debWithData("data.tar.xz", Arrays.copyOf(xz, xz.length / 2)));
        assertThatThrownBy(() -> DebImport.of(List.of(q), "d")).isInstanceOf(PackageException.class)
                .hasMessageStartingWith(q + ": damaged data.tar.xz: ");
    }

    @Test
    void pathTraversalIsRefused() throws Exception {
        for (String evil : List.of("../../etc/passwd", "./usr/../../x", "/etc/shadow")) {
            Map<String, byte[]> f = new LinkedHashMap<>(TestDebs.kernelFiles());
            f.put(evil, "owned\n".getBytes(StandardCharsets.US_ASCII));
            Path p = write("evil.deb", TestDebs.deb(f));
            assertThatThrownBy(() -> DebImport.of(List.of(p), "d")).as(evil).isInstanceOf(PackageException.class)
                    .hasMessageContaining(": hostile path '");
        }
    }

    @Test
    void aDecompressionBombEndsAtTheLimit() throws Exception {
        Map<String, byte[]> f = new LinkedHashMap<>();
        for (int i = 0; i < 16; i++) {
            f.put("./usr/share/zeros" + i, new byte[512 << 10]); // 8 MiB of zeros in all: a few KiB of xz
        }
        Path p = write("bomb.deb", TestDebs.deb(f));
        assertThat(Files.size(p)).isLessThan(64 << 10);
        var small = new DebImport.Limits(1 << 20, 1 << 20, 1 << 20, 1 << 20, 4 << 20);
        assertThatThrownBy(() -> DebImport.of(List.of(p), "d", small)).isInstanceOf(PackageException.class)
                .hasMessage(p + ": data.tar.xz decompresses to more than 1048576 bytes (a decompression bomb?)");
        // the same inside a module: the .ko.xz is small, what it unpacks to is not
        Map<String, byte[]> k = new LinkedHashMap<>(TestDebs.kernelFiles());
        byte[] big = Arrays.copyOf(TestDebs.module("name=ext4", "depends="), 3 << 20);
        k.put("./usr/lib/modules/" + TestDebs.RELEASE + "/kernel/fs/ext4/ext4.ko.xz", TestDebs.xz(big));
        Path kd = write("k.deb", TestDebs.deb(k));
        Path bd = write("b.deb", TestDebs.busyboxDeb());
        assertThatThrownBy(() -> DebImport.of(List.of(kd, bd), "d", new DebImport.Limits(64 << 20, 1 << 20, 1 << 20,
                1 << 20, 64 << 20))).hasMessageEndingWith("ext4.ko.xz decompresses to more than 1048576 bytes"
                + " (a decompression bomb?)");
    }

    @Test
    void anAbsurdDeclaredSizeIsRefusedBeforeItIsRead() throws Exception {
        Map<String, byte[]> k = new LinkedHashMap<>(TestDebs.kernelFiles());
        k.put("./boot/vmlinux-" + TestDebs.RELEASE, TestDebs.kernel(0x5064, 2 << 20));
        Path p = write("k.deb", TestDebs.deb(k));
        assertThatThrownBy(() -> DebImport.of(List.of(p), "d", new DebImport.Limits(64 << 20, 1 << 20, 1 << 20, 1 << 20,
                64 << 20))).hasMessage(p + ": boot/vmlinux-" + TestDebs.RELEASE + " claims 2097152 bytes, more than the"
                + " 1048576 vmtree accepts for it");
        // a tar header whose size field claims far more than the archive holds
        byte[] tar = TestDebs.tar(Map.of("./usr/bin/busybox", TestDebs.busybox()));
        byte[] size = String.format("%011o ", 077777777777L).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(size, 0, tar, 124, 12);
        fixChecksum(tar);
        Path q = write("b.deb", TestDebs.debWithData("data.tar.xz", TestDebs.xz(tar)));
        assertThatThrownBy(() -> DebImport.of(List.of(q), "d")).isInstanceOf(PackageException.class)
                .hasMessageStartingWith(q + ": ");
    }

    private static void fixChecksum(byte[] tar) {
        Arrays.fill(tar, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += tar[i] & 0xff;
        }
        byte[] s = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, tar, 148, 8);
    }

    @Test
    void aKernelThatIsNotRiscV() throws Exception {
        Path b = write("b.deb", TestDebs.busyboxDeb());
        Map<String, byte[]> k = new LinkedHashMap<>(TestDebs.kernelFiles());
        byte[] arm = new byte[4096];
        java.nio.ByteBuffer.wrap(arm).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x38, 0x644d5241); // "ARM\x64"
        k.put("./boot/vmlinux-" + TestDebs.RELEASE, arm);
        Path p = write("arm.deb", TestDebs.deb(k));
        assertThatThrownBy(() -> DebImport.of(List.of(p, b), "d")).hasMessage(p + ": boot/vmlinux-" + TestDebs.RELEASE
                + " is not a RISC-V kernel (an ARM64 Image)");
        k.put("./boot/vmlinux-" + TestDebs.RELEASE, TestDebs.kernel(0x8664, 4096));
        Path pe = write("pe.deb", TestDebs.deb(k));
        assertThatThrownBy(() -> DebImport.of(List.of(pe, b), "d")).hasMessageEndingWith(
                "is not a RISC-V kernel (its EFI stub is for PE machine 0x8664)");
        k.put("./boot/vmlinux-" + TestDebs.RELEASE, TestDebs.elf(62, ".text", new byte[16]));
        Path elf = write("elf.deb", TestDebs.deb(k));
        assertThatThrownBy(() -> DebImport.of(List.of(elf, b), "d")).hasMessageEndingWith(
                "is not a 64-bit RISC-V kernel (ELF class 2, machine 62)");
    }

    @Test
    void missingPiecesAreNamed() throws Exception {
        Path b = write("b.deb", TestDebs.busyboxDeb());
        Path k = write("k.deb", TestDebs.kernelDeb());
        assertThatThrownBy(() -> DebImport.of(List.of(b), "d")).hasMessageStartingWith("no kernel (/boot/vmlinux-*) in b.deb");
        assertThatThrownBy(() -> DebImport.of(List.of(k), "d")).hasMessageStartingWith("no busybox");
        Map<String, byte[]> f = new LinkedHashMap<>(TestDebs.kernelFiles());
        f.remove("./usr/lib/modules/" + TestDebs.RELEASE + "/kernel/fs/jbd2/jbd2.ko.xz");
        Path noJbd2 = write("nojbd2.deb", TestDebs.deb(f));
        assertThatThrownBy(() -> DebImport.of(List.of(noJbd2, b), "d")).hasMessage(noJbd2 + ": no module jbd2 for kernel "
                + TestDebs.RELEASE + " (neither a .ko in the package nor in modules.builtin)");
        f.put("./usr/lib/modules/" + TestDebs.RELEASE + "/modules.builtin", "kernel/fs/jbd2/jbd2.ko\n".getBytes());
        Path builtIn = write("builtin.deb", TestDebs.deb(f));
        assertThat(DebImport.of(List.of(builtIn, b), "d").modules()).doesNotContain("jbd2").contains("ext4");
    }

    @Test
    void aDependencyCycleIsRefused() throws Exception {
        Map<String, byte[]> f = new LinkedHashMap<>(TestDebs.kernelFiles());
        f.put("./usr/lib/modules/" + TestDebs.RELEASE + "/kernel/fs/mbcache.ko.xz",
                TestDebs.xz(TestDebs.module("name=mbcache", "depends=ext4")));
        Path k = write("k.deb", TestDebs.deb(f));
        Path b = write("b.deb", TestDebs.busyboxDeb());
        assertThatThrownBy(() -> DebImport.of(List.of(k, b), "d")).hasMessageContaining("module ext4 depends on itself");
    }
}
