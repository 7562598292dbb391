package dev.vmtree.dom0.images;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tukaani.xz.XZInputStream;

/**
 * Makes a bootable image out of Debian packages: the kernel of a {@code linux-image-*-riscv64}
 * package ({@code /boot/vmlinux-RELEASE}, an uncompressed Image with an EFI stub) and an
 * initramfs written here, holding busybox (from {@code busybox-static}), an {@code /init} script
 * ({@link Initramfs}) and the modules the vmtree platform needs with everything they depend on.
 * Debian ships its modules as {@code .ko.xz} and without modules.dep: dependencies come from each
 * module's {@code .modinfo} ({@link ModInfo}); the modules are stored decompressed, so busybox's
 * insmod loads them whatever its configuration. Everything is read into memory under fixed limits;
 * nothing is written until the whole image is known good. Not thread-safe.
 */
public final class DebImport {
    /** Modules the platform needs: ext4, the disk and entropy drivers, then the virtio-mmio transport, whose probe binds them. */
    public static final List<String> PLATFORM_MODULES = List.of("ext4", "virtio_blk", "virtio_rng", "virtio_mmio");
    /**
     * What one import may read: uncompressed tar bytes per package, the kernel, busybox, one
     * (decompressed) module, and all that is kept in memory. Debian's kernel package: about 140 MB
     * of tar, a 31 MB kernel, ext4.ko 7 MB.
     */
    public record Limits(long data, long kernel, long busybox, long module, long kept) {
        public static final Limits DEFAULT = new Limits(4L << 30, 256L << 20, 32L << 20, 64L << 20, 1L << 30);
    }

    private static final Pattern KERNEL = Pattern.compile("boot/vmlinux-([^/]+)");
    private static final Pattern MODULE = Pattern.compile("(?:usr/)?lib/modules/([^/]+)/kernel/(.+/)?([^/]+)\\.ko(\\.xz|\\.zst)?");
    private static final Pattern BUILTIN = Pattern.compile("(?:usr/)?lib/modules/([^/]+)/modules\\.builtin");
    private static final Pattern BUSYBOX = Pattern.compile("(?:usr/)?bin/busybox");

    /** What the packages gave: kernel, busybox and the modules by normalized name. */
    private byte[] kernel;
    private String release;
    private Path kernelFrom;
    private byte[] busybox;
    private Path busyboxFrom;
    private final Map<String, StoredModule> modules = new TreeMap<>();
    private final Map<String, Set<String>> builtin = new TreeMap<>();
    private long kept;
    private final Limits limits;

    private DebImport(Limits limits) {
        this.limits = limits;
    }

    private record StoredModule(String release, String path, String compression, byte[] bytes) {}

    /** The result: the kernel, its release, the initramfs (newc, uncompressed) and the modules loaded, in order. */
    public record Result(byte[] kernel, String release, byte[] initramfs, List<String> modules, String busyboxVersion) {}

    /** Reads every package and builds the image; {@link PackageException} names the file at fault. */
    public static Result of(List<Path> debs, String imageName) throws PackageException, IOException {
        return of(debs, imageName, Limits.DEFAULT);
    }

    static Result of(List<Path> debs, String imageName, Limits limits) throws PackageException, IOException {
        DebImport d = new DebImport(limits);
        for (Path deb : debs) {
            try {
                DebPackage.read(deb, limits.data(), (e, in) -> d.take(deb, e, in));
            } catch (PackageException e) {
                throw new PackageException(deb + ": " + e.getMessage(), e);
            }
        }
        return d.build(debs, imageName);
    }

    private void take(Path deb, DebPackage.FileEntry e, InputStream in) throws IOException, PackageException {
        Matcher m;
        if ((m = KERNEL.matcher(e.path())).matches()) {
            if (kernel != null) {
                throw new PackageException("a second kernel " + e.path() + " (already have vmlinux-" + release + " from "
                        + kernelFrom.getFileName() + "); import one kernel package at a time");
            }
            kernel = bytes(e, in, limits.kernel());
            release = m.group(1);
            kernelFrom = deb;
        } else if ((m = MODULE.matcher(e.path())).matches()) {
            String name = ModInfo.normalize(m.group(3));
            String compression = m.group(4) == null ? "" : m.group(4);
            modules.putIfAbsent(m.group(1) + "/" + name, new StoredModule(m.group(1), e.path(), compression,
                    bytes(e, in, limits.module())));
        } else if ((m = BUILTIN.matcher(e.path())).matches()) {
            String text = new String(bytes(e, in, limits.module()), StandardCharsets.UTF_8);
            Set<String> names = builtin.computeIfAbsent(m.group(1), k -> new LinkedHashSet<>());
            for (String line : text.split("\n")) {
                String file = line.substring(line.lastIndexOf('/') + 1);
                if (file.endsWith(".ko")) {
                    names.add(ModInfo.normalize(file.substring(0, file.length() - 3)));
                }
            }
        } else if (BUSYBOX.matcher(e.path()).matches()) {
            if (busybox != null) {
                throw new PackageException("a second busybox " + e.path() + " (already have one from "
                        + busyboxFrom.getFileName() + ")");
            }
            busybox = bytes(e, in, limits.busybox());
            busyboxFrom = deb;
        }
    }

    private byte[] bytes(DebPackage.FileEntry e, InputStream in, long limit) throws IOException, PackageException {
        if (e.size() > limit) {
            throw new PackageException(e.path() + " claims " + e.size() + " bytes, more than the " + limit
                    + " vmtree accepts for it");
        }
        kept += e.size();
        if (kept > limits.kept()) {
            throw new PackageException("the packages hold more than " + limits.kept()
                    + " bytes of kernel, modules and busybox");
        }
        byte[] b = in.readNBytes((int) e.size());
        if (b.length != e.size()) {
            throw new PackageException("truncated data archive (" + e.path() + " ends after " + b.length + " of "
                    + e.size() + " bytes)");
        }
        return b;
    }

    private Result build(List<Path> debs, String imageName) throws PackageException, IOException {
        if (kernel == null) {
            throw new PackageException("no kernel (/boot/vmlinux-*) in " + names(debs)
                    + "; give the linux-image-*-riscv64 package (guests/fetch-debian.sh fetches it)");
        }
        if (busybox == null) {
            throw new PackageException("no busybox (/usr/bin/busybox or /bin/busybox) in " + names(debs)
                    + "; give the busybox-static package for riscv64");
        }
        checkKernel(kernel, kernelFrom, "boot/vmlinux-" + release);
        try {
            ModInfo.section(busybox, ".text");
        } catch (PackageException e) {
            throw new PackageException(busyboxFrom + ": busybox is not a RISC-V program (" + e.getMessage() + ")");
        }
        List<Initramfs.Module> order = new ArrayList<>();
        Map<String, ModInfo> infos = new LinkedHashMap<>();
        Set<String> visiting = new LinkedHashSet<>();
        for (String name : PLATFORM_MODULES) {
            load(name, true, order, infos, visiting);
        }
        // uncompressed: gunzip in the guest cost about 0.12 G instructions of the boot (docs/linux.md)
        byte[] initramfs = Cpio.toBytes(Initramfs.entries(imageName, release, busybox, order));
        return new Result(kernel, release, initramfs, order.stream().map(Initramfs.Module::name).toList(),
                busyboxVersion(busybox));
    }

    /** Post-order: dependencies (and soft pre-dependencies) first, each module once. */
    private void load(String wanted, boolean hard, List<Initramfs.Module> order, Map<String, ModInfo> infos,
                      Set<String> visiting) throws PackageException, IOException {
        String name = ModInfo.normalize(wanted);
        StoredModule m = modules.get(release + "/" + name);
        if (m == null && !hard) {
            m = byAlias(wanted);
            if (m == null) {
                return; // a soft dependency nobody provides: the kernel may have it built in
            }
            name = ModInfo.normalize(fileName(m.path()));
        }
        if (infos.containsKey(name)) {
            return;
        }
        if (m == null) {
            if (builtin.getOrDefault(release, Set.of()).contains(name)) {
                return;
            }
            throw new PackageException(kernelFrom + ": no module " + name + " for kernel " + release
                    + " (neither a .ko in the package nor in modules.builtin)");
        }
        if (!visiting.add(name)) {
            throw new PackageException(kernelFrom + ": module " + name + " depends on itself through "
                    + String.join(" -> ", visiting));
        }
        byte[] ko = decompress(m);
        ModInfo info;
        try {
            info = ModInfo.of(ko, name);
        } catch (PackageException e) {
            throw new PackageException(kernelFrom + ": " + m.path() + ": " + e.getMessage());
        }
        for (String d : info.softPre()) {
            load(d, false, order, infos, visiting);
        }
        for (String d : info.depends()) {
            load(d, true, order, infos, visiting);
        }
        visiting.remove(name);
        infos.put(name, info);
        order.add(new Initramfs.Module(name, ModuleSignature.strip(ko)));
    }

    /** A module answering to {@code alias} (softdeps name e.g. crypto-crc32c): searched among likely names only. */
    private StoredModule byAlias(String alias) throws PackageException, IOException {
        String stem = ModInfo.normalize(alias.startsWith("crypto-") ? alias.substring(7) : alias);
        for (StoredModule m : modules.values()) {
            if (!m.release().equals(release) || !ModInfo.normalize(fileName(m.path())).startsWith(stem)) {
                continue;
            }
            try {
                if (ModInfo.of(decompress(m), stem).aliases().contains(alias)) {
                    return m;
                }
            } catch (PackageException e) {
                throw new PackageException(kernelFrom + ": " + m.path() + ": " + e.getMessage());
            }
        }
        return null;
    }

    private static String fileName(String path) {
        String f = path.substring(path.lastIndexOf('/') + 1);
        return f.substring(0, f.indexOf(".ko"));
    }

    private byte[] decompress(StoredModule m) throws PackageException, IOException {
        if (m.compression().isEmpty()) {
            return m.bytes();
        }
        try (InputStream in = m.compression().equals(".xz")
                ? new XZInputStream(new java.io.ByteArrayInputStream(m.bytes()), DebPackage.XZ_MEMORY_KIB)
                : new com.github.luben.zstd.ZstdInputStream(new java.io.ByteArrayInputStream(m.bytes()))) {
            byte[] out = in.readNBytes((int) limits.module() + 1);
            if (out.length > limits.module()) {
                throw new PackageException(kernelFrom + ": " + m.path() + " decompresses to more than " + limits.module()
                        + " bytes (a decompression bomb?)");
            }
            return out;
        } catch (IOException e) {
            throw new PackageException(kernelFrom + ": " + m.path() + " is damaged: " + DebPackage.reason(e), e);
        }
    }

    /**
     * Refuses a kernel that is not 64-bit RISC-V: it must carry the RISC-V Image header (magic
     * "RSC\x05" at 0x38; an EFI stub's PE header, if any, must say RISCV64) or be an ELF64 for RISC-V.
     */
    static void checkKernel(byte[] k, Path from, String path) throws PackageException {
        String at = from + ": " + path;
        if (k.length >= 64 && k[0] == 0x7f && k[1] == 'E' && k[2] == 'L' && k[3] == 'F') {
            int machine = (k[0x12] & 0xff) | (k[0x13] & 0xff) << 8;
            if (k[4] != 2 || machine != ModInfo.EM_RISCV) {
                throw new PackageException(at + " is not a 64-bit RISC-V kernel (ELF class " + k[4] + ", machine "
                        + machine + ")");
            }
            return;
        }
        if (k.length < 64) {
            throw new PackageException(at + " is not a kernel (" + k.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(k).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0x38) != 0x05435352) { // "RSC\x05"
            String what = b.getInt(0x38) == 0x644d5241 ? "an ARM64 Image" : k.length > 0x206
                    && new String(k, 0x202, 4, StandardCharsets.US_ASCII).equals("HdrS") ? "an x86 bzImage" : "no RISC-V Image header";
            throw new PackageException(at + " is not a RISC-V kernel (" + what + ")");
        }
        if (k[0] == 'M' && k[1] == 'Z') {
            int pe = b.getInt(0x3c);
            if (pe > 0 && pe <= k.length - 6 && b.getInt(pe) == 0x00004550) {
                int machine = b.getShort(pe + 4) & 0xffff;
                if (machine != 0x5064) {
                    throw new PackageException(at + " is not a RISC-V kernel (its EFI stub is for PE machine 0x"
                            + Integer.toHexString(machine) + ")");
                }
            }
        }
    }

    private static String busyboxVersion(byte[] b) {
        Matcher m = Pattern.compile("BusyBox v([0-9][0-9A-Za-z.+~:-]*)").matcher(new String(b, StandardCharsets.ISO_8859_1));
        return m.find() ? m.group(1) : "unknown";
    }

    private static String names(List<Path> debs) {
        return String.join(", ", debs.stream().map(p -> p.getFileName().toString()).toList());
    }
}
