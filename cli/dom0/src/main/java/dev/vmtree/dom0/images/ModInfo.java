package dev.vmtree.dom0.images;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a Linux kernel module says about itself in its {@code .modinfo} ELF section: NUL-separated
 * {@code key=value} strings (what modinfo(8) prints). Debian's packages ship no modules.dep, so
 * dependencies come from here: {@code depends=} (comma-separated module names, hard) and
 * {@code softdep=} ({@code pre: a b post: c}; the {@code pre} ones must be loaded first for the
 * module to work, e.g. ext4's {@code crypto-crc32c}), matched to modules by name or {@code alias=}.
 *
 * @param name     the module's name ({@code name=}, else the one given)
 * @param depends  hard dependencies, by module name
 * @param softPre  soft dependencies to load first, by name or alias
 * @param aliases  the names it also answers to
 */
public record ModInfo(String name, List<String> depends, List<String> softPre, List<String> aliases) {
    /** RISC-V's ELF machine number. */
    public static final int EM_RISCV = 243;

    public ModInfo {
        depends = List.copyOf(depends);
        softPre = List.copyOf(softPre);
        aliases = List.copyOf(aliases);
    }

    /** A module name as the kernel compares them: '-' and '_' are the same. */
    public static String normalize(String name) {
        return name.replace('-', '_');
    }

    /** Parses the {@code .modinfo} of an (uncompressed) ELF64 little-endian RISC-V module. */
    public static ModInfo of(byte[] elf, String fallbackName) throws PackageException {
        byte[] section = section(elf, ".modinfo");
        String name = fallbackName;
        List<String> depends = new ArrayList<>();
        List<String> softPre = new ArrayList<>();
        List<String> aliases = new ArrayList<>();
        for (String entry : new String(section, StandardCharsets.UTF_8).split("\0")) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = entry.substring(0, eq);
            String value = entry.substring(eq + 1);
            switch (key) {
                case "name" -> name = value;
                case "depends" -> Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                        .map(ModInfo::normalize).forEach(depends::add);
                case "softdep" -> softPre.addAll(softPre(value));
                case "alias" -> aliases.add(value);
                default -> { }
            }
        }
        return new ModInfo(normalize(name), depends, softPre, aliases);
    }

    /** The {@code pre:} names of a softdep value ({@code pre: a b post: c}). */
    static List<String> softPre(String value) {
        List<String> out = new ArrayList<>();
        boolean pre = false;
        for (String word : value.strip().split("\\s+")) {
            if (word.equals("pre:")) {
                pre = true;
            } else if (word.equals("post:")) {
                pre = false;
            } else if (pre && !word.isEmpty()) {
                out.add(word);
            }
        }
        return out;
    }

    /** The bytes of section {@code wanted}, with every offset and size checked against the file. */
    static byte[] section(byte[] elf, String wanted) throws PackageException {
        if (elf.length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new PackageException("not an ELF file");
        }
        if (elf[4] != 2 || elf[5] != 1) {
            throw new PackageException("not a 64-bit little-endian ELF file");
        }
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        int machine = b.getShort(0x12) & 0xffff;
        if (machine != EM_RISCV) {
            throw new PackageException("not RISC-V code (ELF machine " + machine + ")");
        }
        long shoff = b.getLong(0x28);
        int shentsize = b.getShort(0x3a) & 0xffff;
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstrndx = b.getShort(0x3e) & 0xffff;
        if (shentsize < 64 || shnum == 0 || shstrndx >= shnum || shoff < 0
                || shoff > elf.length || (long) shentsize * shnum > elf.length - shoff) {
            throw new PackageException("damaged ELF file (section headers outside the file)");
        }
        long[] names = new long[2];
        range(b, elf, shoff + (long) shstrndx * shentsize, names);
        for (int i = 0; i < shnum; i++) {
            long h = shoff + (long) i * shentsize;
            long nameOff = b.getInt((int) h) & 0xffffffffL;
            if (nameOff >= names[1]) {
                continue;
            }
            if (wanted.equals(cString(elf, (int) (names[0] + nameOff), (int) (names[0] + names[1])))) {
                long[] r = new long[2];
                range(b, elf, h, r);
                return Arrays.copyOfRange(elf, (int) r[0], (int) (r[0] + r[1]));
            }
        }
        throw new PackageException("no " + wanted + " section");
    }

    private static void range(ByteBuffer b, byte[] elf, long header, long[] out) throws PackageException {
        long off = b.getLong((int) header + 0x18);
        long size = b.getLong((int) header + 0x20);
        if (off < 0 || size < 0 || off > elf.length || size > elf.length - off) {
            throw new PackageException("damaged ELF file (a section outside the file)");
        }
        out[0] = off;
        out[1] = size;
    }

    private static String cString(byte[] b, int from, int limit) {
        int end = from;
        while (end < limit && b[end] != 0) {
            end++;
        }
        return new String(b, from, end - from, StandardCharsets.UTF_8);
    }
}
