package dev.vmtree.core.loader;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Writes minimal ELF64 RISC-V executables for tests: one PT_LOAD segment and optionally a tohost symbol. */
public final class Elfs {
    private Elfs() {}

    /** An executable with {@code code} loaded at {@code address}, entry there; tohost at {@code tohost} if not -1. */
    public static byte[] executable(byte[] code, long address, long tohost) {
        int ehdr = 64, phdr = 56;
        int codeOff = ehdr + phdr;
        byte[] strtab = "\0tohost\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int symOff = align8(codeOff + code.length);
        int symSize = tohost == -1 ? 0 : 48;
        int strOff = symOff + symSize;
        int shOff = align8(strOff + strtab.length);
        int shnum = tohost == -1 ? 0 : 3;
        ByteBuffer b = ByteBuffer.allocate(shOff + 64 * shnum).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) 2).putShort(18, (short) 243).putInt(20, 1).putLong(24, address).putLong(32, ehdr)
                .putLong(40, shnum == 0 ? 0 : shOff).putShort(52, (short) ehdr).putShort(54, (short) phdr)
                .putShort(56, (short) 1).putShort(58, (short) 64).putShort(60, (short) shnum);
        b.putInt(ehdr, 1).putInt(ehdr + 4, 7).putLong(ehdr + 8, codeOff).putLong(ehdr + 16, address)
                .putLong(ehdr + 24, address).putLong(ehdr + 32, code.length).putLong(ehdr + 40, code.length + 4096L)
                .putLong(ehdr + 48, 4096);
        b.put(codeOff, code);
        if (shnum != 0) {
            b.putInt(symOff + 24, 1).putLong(symOff + 24 + 8, tohost); // symbol 1: "tohost"
            b.put(strOff, strtab);
            int sh = shOff + 64; // section 1: symtab, linked to section 2
            b.putInt(sh + 4, 2).putLong(sh + 24, symOff).putLong(sh + 32, symSize).putInt(sh + 40, 2)
                    .putLong(sh + 56, 24);
            sh += 64; // section 2: strtab
            b.putInt(sh + 4, 3).putLong(sh + 24, strOff).putLong(sh + 32, strtab.length);
        }
        return b.array();
    }

    private static int align8(int v) {
        return (v + 7) & ~7;
    }
}
