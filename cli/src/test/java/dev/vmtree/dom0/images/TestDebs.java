package dev.vmtree.dom0.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Small synthetic Debian packages, ELF modules and kernels, built in memory for the import tests. */
final class TestDebs {
    private TestDebs() {}

    static final String RELEASE = "6.1.0-test-riscv64";

    /** An ar archive of {@code members} (name to bytes), as dpkg-deb writes it. */
    static byte[] ar(Map<String, byte[]> members) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(ArReader.MAGIC);
        members.forEach((name, data) -> {
            String h = String.format("%-16s%-12s%-6s%-6s%-8s%-10s`\n", name, "0", "0", "0", "100644", data.length);
            b.writeBytes(h.getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(data);
            if ((data.length & 1) == 1) {
                b.write('\n');
            }
        });
        return b.toByteArray();
    }

    /** A tar of regular files (path to bytes), paths written as given ("./usr/..." as Debian does). */
    static byte[] tar(Map<String, byte[]> files) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(b)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (var e : files.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey(), true); // keep the name exactly, even "../"
                te.setSize(e.getValue().length);
                te.setMode(0100644);
                t.putArchiveEntry(te);
                t.write(e.getValue());
                t.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    static byte[] xz(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream x = new XZOutputStream(b, new LZMA2Options(1))) {
            x.write(data);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    static byte[] zstd(byte[] data) {
        return com.github.luben.zstd.Zstd.compress(data);
    }

    /** A .deb whose data.tar.xz holds {@code files}. */
    static byte[] deb(Map<String, byte[]> files) {
        return debWithData("data.tar.xz", xz(tar(files)));
    }

    static byte[] debWithData(String member, byte[] data) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
        m.put("control.tar.xz", xz(tar(Map.of("./control", "Package: test\n".getBytes(StandardCharsets.US_ASCII)))));
        m.put(member, data);
        return ar(m);
    }

    /** A minimal ELF64 little-endian relocatable for {@code machine} with one {@code section} holding {@code content}. */
    static byte[] elf(int machine, String section, byte[] content) {
        byte[] shstr = ("\0" + section + "\0.shstrtab\0").getBytes(StandardCharsets.US_ASCII);
        int contentAt = 64;
        int shstrAt = contentAt + content.length;
        int shoff = (shstrAt + shstr.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(0x10, (short) 1).putShort(0x12, (short) machine).putInt(0x14, 1);
        b.putLong(0x28, shoff).putShort(0x34, (short) 64).putShort(0x3a, (short) 64).putShort(0x3c, (short) 3)
                .putShort(0x3e, (short) 2);
        b.put(contentAt, content);
        b.put(shstrAt, shstr);
        section(b, shoff + 64, 1, 1, contentAt, content.length);
        section(b, shoff + 128, 2 + section.length(), 3, shstrAt, shstr.length);
        return b.array();
    }

    private static void section(ByteBuffer b, int at, int name, int type, long off, long size) {
        b.putInt(at, name).putInt(at + 4, type).putLong(at + 0x18, off).putLong(at + 0x20, size);
    }

    /** A RISC-V module with the given modinfo strings (key=value). */
    static byte[] module(String... modinfo) {
        return elf(ModInfo.EM_RISCV, ".modinfo", String.join("\0", modinfo).concat("\0").getBytes(StandardCharsets.UTF_8));
    }

    /** {@code ko} with a signature appended as scripts/sign-file does (PKCS#7 id type 2, a 264-byte blob). */
    static byte[] signed(byte[] ko) {
        ByteBuffer b = ByteBuffer.allocate(ko.length + 264 + 12 + ModuleSignature.MARKER.length);
        b.put(ko);
        byte[] sig = new byte[264];
        java.util.Arrays.fill(sig, (byte) 0x5a);
        b.put(sig);
        b.put(new byte[] {0, 0, 2, 0, 0, 0, 0, 0}).putInt(264); // big-endian sig_len
        b.put(ModuleSignature.MARKER);
        return b.array();
    }

    /** A stand-in for busybox: a RISC-V ELF with a .text section and its version string. */
    static byte[] busybox() {
        return elf(ModInfo.EM_RISCV, ".text", "BusyBox v1.36.1 (test)".getBytes(StandardCharsets.US_ASCII));
    }

    /** A RISC-V Image with an EFI stub's headers ({@code peMachine} 0x5064 = RISCV64), padded to {@code size}. */
    static byte[] kernel(int peMachine, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 'M').put(1, (byte) 'Z');
        b.put(0x30, "RISCV\0\0\0".getBytes(StandardCharsets.US_ASCII));
        b.putInt(0x38, 0x05435352);
        b.putInt(0x3c, 0x40);
        b.putInt(0x40, 0x00004550).putShort(0x44, (short) peMachine);
        return b.array();
    }

    /** The platform modules and their dependencies, as Debian's layout has them (.ko.xz under usr/lib/modules). */
    static Map<String, byte[]> kernelFiles() {
        Map<String, byte[]> f = new LinkedHashMap<>();
        String dir = "./usr/lib/modules/" + RELEASE + "/kernel/";
        f.put("./boot/vmlinux-" + RELEASE, kernel(0x5064, 4096));
        f.put("./boot/config-" + RELEASE, "CONFIG_TEST=y\n".getBytes(StandardCharsets.US_ASCII));
        f.put(dir + "fs/ext4/ext4.ko.xz", xz(signed(module("name=ext4", "depends=jbd2,mbcache,crc16",
                "softdep=pre: crypto-crc32c"))));
        f.put(dir + "fs/jbd2/jbd2.ko.xz", xz(module("name=jbd2", "depends=", "softdep=pre: crypto-crc32c")));
        f.put(dir + "fs/mbcache.ko.xz", xz(module("name=mbcache", "depends=")));
        f.put(dir + "lib/crc16.ko.xz", xz(module("name=crc16", "depends=")));
        f.put(dir + "crypto/crc32c_generic.ko.xz", xz(module("name=crc32c_generic", "alias=crypto-crc32c", "alias=crc32c")));
        f.put(dir + "drivers/block/virtio_blk.ko.xz", xz(module("name=virtio_blk", "depends=")));
        f.put(dir + "drivers/char/hw_random/virtio-rng.ko.xz", xz(module("name=virtio_rng", "depends=")));
        f.put(dir + "drivers/virtio/virtio_mmio.ko.zst", zstd(module("name=virtio_mmio", "depends=")));
        f.put(dir + "drivers/net/unused.ko.xz", xz(module("name=unused", "depends=")));
        return f;
    }

    static byte[] kernelDeb() {
        return deb(kernelFiles());
    }

    static byte[] busyboxDeb() {
        Map<String, byte[]> f = new LinkedHashMap<>();
        f.put("./usr/bin/busybox", busybox());
        f.put("./usr/share/doc/busybox-static/copyright", "GPL\n".getBytes(StandardCharsets.US_ASCII));
        return deb(f);
    }

    static List<String> names(List<Cpio.Entry> entries) {
        List<String> out = new ArrayList<>();
        entries.forEach(e -> out.add(e.name()));
        return out;
    }
}
