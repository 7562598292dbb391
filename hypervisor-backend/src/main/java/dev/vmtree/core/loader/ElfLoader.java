package dev.vmtree.core.loader;

import dev.vmtree.core.cpu.MemorySystem;
import dev.vmtree.core.mem.Bus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Parses and loads ELF64 little-endian RISC-V executables. Segments load at their physical
 * addresses (p_paddr); the entry is mapped from virtual to physical through the segment holding it,
 * so kernels linked high (vmlinux) start correctly. Every offset and size is checked against the
 * file and RAM: a malformed file gives a {@link LoadException}, never a host exception.
 */
public final class ElfLoader {
    private ElfLoader() {}

    private static final int EM_RISCV = 243;
    private static final int PT_LOAD = 1;
    private static final int SHT_SYMTAB = 2;

    public static boolean isElf(byte[] file) {
        return file.length >= 4 && file[0] == 0x7F && file[1] == 'E' && file[2] == 'L' && file[3] == 'F';
    }

    /** Parses the headers of {@code file} (named {@code name} in messages). */
    public static ElfImage parse(byte[] file, String name) throws LoadException {
        if (!isElf(file)) {
            throw new LoadException(name + ": not an ELF file");
        }
        if (file.length < 64) {
            throw new LoadException(name + ": truncated ELF header");
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file[4] != 2) {
            throw new LoadException(name + ": not a 64-bit ELF file (class " + file[4] + ")");
        }
        if (file[5] != 1) {
            throw new LoadException(name + ": not a little-endian ELF file");
        }
        int machine = b.getShort(18) & 0xFFFF;
        if (machine != EM_RISCV) {
            throw new LoadException(name + ": ELF machine " + machine + " is not RISC-V (243)");
        }
        int type = b.getShort(16) & 0xFFFF;
        if (type != 2 && type != 3) {
            throw new LoadException(name + ": ELF type " + type + " is not an executable");
        }
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        long shoff = b.getLong(40);
        int phentsize = b.getShort(54) & 0xFFFF;
        int phnum = b.getShort(56) & 0xFFFF;
        int shentsize = b.getShort(58) & 0xFFFF;
        int shnum = b.getShort(60) & 0xFFFF;
        if (phnum == 0) {
            throw new LoadException(name + ": ELF file has no program headers");
        }
        if (phentsize < 56 || !inFile(file, phoff, (long) phentsize * phnum)) {
            throw new LoadException(name + ": program header table lies outside the file");
        }
        List<ElfImage.Segment> segments = new ArrayList<>();
        long physicalEntry = entry;
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            if (b.getInt(at) != PT_LOAD) {
                continue;
            }
            long offset = b.getLong(at + 8);
            long vaddr = b.getLong(at + 16);
            long paddr = b.getLong(at + 24);
            long filesz = b.getLong(at + 32);
            long memsz = b.getLong(at + 40);
            if (filesz < 0 || memsz < 0 || filesz > memsz || !inFile(file, offset, filesz)) {
                throw new LoadException(name + ": segment " + i + " has bad sizes or lies outside the file");
            }
            if (memsz == 0) {
                continue;
            }
            segments.add(new ElfImage.Segment(paddr, offset, filesz, memsz));
            if (vaddr != paddr && entry - vaddr >= 0 && entry - vaddr < memsz) {
                physicalEntry = paddr + (entry - vaddr);
            }
        }
        if (segments.isEmpty()) {
            throw new LoadException(name + ": ELF file has no loadable segments");
        }
        long[] syms = symbols(file, b, shoff, shentsize, shnum, name);
        return new ElfImage(physicalEntry, segments,
                syms[0] == -1 ? OptionalLong.empty() : OptionalLong.of(syms[0]),
                syms[1] == -1 ? OptionalLong.empty() : OptionalLong.of(syms[1]));
    }

    /** Finds tohost and fromhost in the symbol table, if there is one; -1 when absent. */
    private static long[] symbols(byte[] file, ByteBuffer b, long shoff, int shentsize, int shnum, String name)
            throws LoadException {
        long[] found = {-1, -1};
        eachSymbol(file, b, shoff, shentsize, shnum, name, (sym, value) -> {
            if (sym.equals("tohost")) {
                found[0] = value;
            } else if (sym.equals("fromhost")) {
                found[1] = value;
            }
        });
        return found;
    }

    /**
     * The value (address) of symbol {@code symbol} in an ELF file's symbol table, for tools that
     * name code by symbol (tests, `--until-pc`); empty when the file has no such symbol.
     */
    public static OptionalLong symbol(byte[] file, String symbol) throws LoadException {
        parse(file, "ELF file");
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long[] found = {0, 0};
        eachSymbol(file, b, b.getLong(40), b.getShort(58) & 0xFFFF, b.getShort(60) & 0xFFFF, "ELF file", (sym, value) -> {
            if (found[0] == 0 && sym.equals(symbol)) {
                found[0] = 1;
                found[1] = value;
            }
        });
        return found[0] == 0 ? OptionalLong.empty() : OptionalLong.of(found[1]);
    }

    private static void eachSymbol(byte[] file, ByteBuffer b, long shoff, int shentsize, int shnum, String name,
                                   java.util.function.ObjLongConsumer<String> each) throws LoadException {
        if (shoff == 0 || shnum == 0) {
            return;
        }
        if (shentsize < 64 || !inFile(file, shoff, (long) shentsize * shnum)) {
            throw new LoadException(name + ": section header table lies outside the file");
        }
        for (int i = 0; i < shnum; i++) {
            int at = (int) (shoff + (long) i * shentsize);
            if (b.getInt(at + 4) != SHT_SYMTAB) {
                continue;
            }
            long symOff = b.getLong(at + 24);
            long symSize = b.getLong(at + 32);
            int link = b.getInt(at + 40);
            if (link < 0 || link >= shnum || !inFile(file, symOff, symSize)) {
                throw new LoadException(name + ": symbol table lies outside the file");
            }
            int strAt = (int) (shoff + (long) link * shentsize);
            long strOff = b.getLong(strAt + 24);
            long strSize = b.getLong(strAt + 32);
            if (!inFile(file, strOff, strSize)) {
                throw new LoadException(name + ": string table lies outside the file");
            }
            for (long s = symOff; s + 24 <= symOff + symSize; s += 24) {
                long nameOff = b.getInt((int) s) & 0xFFFF_FFFFL;
                each.accept(cString(file, strOff + nameOff, strOff + strSize), b.getLong((int) s + 8));
            }
        }
    }

    private static String cString(byte[] file, long start, long limit) {
        if (start < 0 || start >= limit) {
            return "";
        }
        int end = (int) start;
        while (end < limit && file[end] != 0) {
            end++;
        }
        return new String(file, (int) start, end - (int) start, StandardCharsets.ISO_8859_1);
    }

    private static boolean inFile(byte[] file, long offset, long len) {
        return offset >= 0 && len >= 0 && offset <= file.length && len <= file.length - offset;
    }

    /** Zeroes a range, writing only chunks that are not zero already (fresh RAM stays clean). */
    static void zeroFill(MemorySystem memory, long pa, long len) {
        byte[] buf = new byte[(int) Math.min(len, Bus.PAGE_SIZE)];
        byte[] zero = new byte[buf.length];
        for (long done = 0; done < len; done += buf.length) {
            int n = (int) Math.min(buf.length, len - done);
            memory.readRam(pa + done, buf, 0, n);
            if (!java.util.Arrays.equals(buf, 0, n, zero, 0, n)) {
                memory.writeRam(pa + done, zero, 0, n);
            }
        }
    }

    /** Copies the segments into RAM; every byte must lie in RAM. */
    public static void load(ElfImage image, byte[] file, MemorySystem memory, String name) throws LoadException {
        Bus bus = memory.bus();
        for (ElfImage.Segment s : image.segments()) {
            if (!bus.isRam(s.physicalAddress(), s.memSize())) {
                throw new LoadException(String.format("%s: segment at 0x%x (+0x%x bytes) lies outside RAM [0x%x, 0x%x)",
                        name, s.physicalAddress(), s.memSize(), Bus.RAM_BASE, Bus.RAM_BASE + bus.ramSize()));
            }
        }
        for (ElfImage.Segment s : image.segments()) {
            memory.writeRam(s.physicalAddress(), file, (int) s.fileOffset(), (int) s.fileSize());
            zeroFill(memory, s.physicalAddress() + s.fileSize(), s.memSize() - s.fileSize());
        }
    }
}
