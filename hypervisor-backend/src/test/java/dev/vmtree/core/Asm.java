package dev.vmtree.core;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny RV64 assembler for tests: base, M, A, Zicsr, system instructions, raw compressed halves,
 * labels for branches and jumps, and {@code li} for any 64-bit constant.
 */
public final class Asm {
    public static final int ZERO = 0, RA = 1, SP = 2, GP = 3, TP = 4, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9,
            A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14, A5 = 15, A6 = 16, A7 = 17, S2 = 18, T3 = 28, T4 = 29,
            T5 = 30, T6 = 31;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<String, Integer> labels = new HashMap<>();
    private final List<int[]> fixups = new ArrayList<>(); // {position, kind, labelIndex}
    private final List<String> fixupLabels = new ArrayList<>();

    public int pos() {
        return out.size();
    }

    public Asm label(String name) {
        labels.put(name, out.size());
        return this;
    }

    public Asm word(int w) {
        out.write(w);
        out.write(w >>> 8);
        out.write(w >>> 16);
        out.write(w >>> 24);
        return this;
    }

    public Asm half(int h) {
        out.write(h);
        out.write(h >>> 8);
        return this;
    }

    public Asm dword(long v) {
        word((int) v);
        return word((int) (v >>> 32));
    }

    /** Pads with nops up to byte offset {@code offset} from the start. */
    public Asm org(int offset) {
        if (pos() > offset) {
            throw new IllegalStateException("already past 0x" + Integer.toHexString(offset));
        }
        while (pos() < offset) {
            word(0x13);
        }
        return this;
    }

    public Asm align(int n) {
        while (out.size() % n != 0) {
            out.write(0);
        }
        return this;
    }

    public byte[] bytes() {
        byte[] b = out.toByteArray();
        for (int i = 0; i < fixups.size(); i++) {
            int[] f = fixups.get(i);
            Integer target = labels.get(fixupLabels.get(i));
            if (target == null) {
                throw new IllegalStateException("undefined label " + fixupLabels.get(i));
            }
            int off = target - f[0];
            int w = (b[f[0]] & 0xFF) | (b[f[0] + 1] & 0xFF) << 8 | (b[f[0] + 2] & 0xFF) << 16 | (b[f[0] + 3] & 0xFF) << 24;
            w |= f[1] == 0 ? bImm(off) : jImm(off);
            for (int k = 0; k < 4; k++) {
                b[f[0] + k] = (byte) (w >>> (8 * k));
            }
        }
        return b;
    }

    // ---- formats ----
    public static int r(int f7, int rs2, int rs1, int f3, int rd, int opc) {
        return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
    }

    public static int i(int imm, int rs1, int f3, int rd, int opc) {
        return (imm & 0xFFF) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
    }

    public static int s(int imm, int rs2, int rs1, int f3, int opc) {
        return ((imm >> 5) & 0x7F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 31) << 7 | opc;
    }

    static int bImm(int off) {
        return ((off >> 12) & 1) << 31 | ((off >> 5) & 0x3F) << 25 | ((off >> 1) & 0xF) << 8 | ((off >> 11) & 1) << 7;
    }

    static int jImm(int off) {
        return ((off >> 20) & 1) << 31 | ((off >> 1) & 0x3FF) << 21 | ((off >> 11) & 1) << 20 | ((off >> 12) & 0xFF) << 12;
    }

    // ---- RV64I ----
    public Asm lui(int rd, int imm20) { return word(imm20 << 12 | rd << 7 | 0x37); }
    public Asm auipc(int rd, int imm20) { return word(imm20 << 12 | rd << 7 | 0x17); }
    public Asm addi(int rd, int rs1, int imm) { return word(i(imm, rs1, 0, rd, 0x13)); }
    public Asm slti(int rd, int rs1, int imm) { return word(i(imm, rs1, 2, rd, 0x13)); }
    public Asm sltiu(int rd, int rs1, int imm) { return word(i(imm, rs1, 3, rd, 0x13)); }
    public Asm xori(int rd, int rs1, int imm) { return word(i(imm, rs1, 4, rd, 0x13)); }
    public Asm ori(int rd, int rs1, int imm) { return word(i(imm, rs1, 6, rd, 0x13)); }
    public Asm andi(int rd, int rs1, int imm) { return word(i(imm, rs1, 7, rd, 0x13)); }
    public Asm slli(int rd, int rs1, int sh) { return word(i(sh, rs1, 1, rd, 0x13)); }
    public Asm srli(int rd, int rs1, int sh) { return word(i(sh, rs1, 5, rd, 0x13)); }
    public Asm srai(int rd, int rs1, int sh) { return word(i(0x400 | sh, rs1, 5, rd, 0x13)); }
    public Asm addiw(int rd, int rs1, int imm) { return word(i(imm, rs1, 0, rd, 0x1B)); }
    public Asm slliw(int rd, int rs1, int sh) { return word(i(sh, rs1, 1, rd, 0x1B)); }
    public Asm srliw(int rd, int rs1, int sh) { return word(i(sh, rs1, 5, rd, 0x1B)); }
    public Asm sraiw(int rd, int rs1, int sh) { return word(i(0x400 | sh, rs1, 5, rd, 0x1B)); }
    public Asm op(int f7, int f3, int rd, int rs1, int rs2) { return word(r(f7, rs2, rs1, f3, rd, 0x33)); }
    public Asm op32(int f7, int f3, int rd, int rs1, int rs2) { return word(r(f7, rs2, rs1, f3, rd, 0x3B)); }
    public Asm add(int rd, int rs1, int rs2) { return op(0, 0, rd, rs1, rs2); }
    public Asm sub(int rd, int rs1, int rs2) { return op(0x20, 0, rd, rs1, rs2); }
    public Asm or_(int rd, int rs1, int rs2) { return op(0, 6, rd, rs1, rs2); }
    public Asm load(int f3, int rd, int rs1, int imm) { return word(i(imm, rs1, f3, rd, 0x03)); }
    public Asm ld(int rd, int rs1, int imm) { return load(3, rd, rs1, imm); }
    public Asm lw(int rd, int rs1, int imm) { return load(2, rd, rs1, imm); }
    public Asm lbu(int rd, int rs1, int imm) { return load(4, rd, rs1, imm); }
    public Asm store(int f3, int rs2, int rs1, int imm) { return word(s(imm, rs2, rs1, f3, 0x23)); }
    public Asm sd(int rs2, int rs1, int imm) { return store(3, rs2, rs1, imm); }
    public Asm sw(int rs2, int rs1, int imm) { return store(2, rs2, rs1, imm); }
    public Asm sb(int rs2, int rs1, int imm) { return store(0, rs2, rs1, imm); }
    public Asm jalr(int rd, int rs1, int imm) { return word(i(imm, rs1, 0, rd, 0x67)); }

    public Asm branch(int f3, int rs1, int rs2, String target) {
        fixups.add(new int[] {out.size(), 0});
        fixupLabels.add(target);
        return word(r(0, rs2, rs1, f3, 0, 0x63));
    }

    public Asm beq(int a, int b, String t) { return branch(0, a, b, t); }
    public Asm bne(int a, int b, String t) { return branch(1, a, b, t); }
    public Asm blt(int a, int b, String t) { return branch(4, a, b, t); }

    public Asm jal(int rd, String target) {
        fixups.add(new int[] {out.size(), 1});
        fixupLabels.add(target);
        return word(rd << 7 | 0x6F);
    }

    public Asm j(String target) { return jal(ZERO, target); }

    /** Loads any 64-bit constant. */
    public Asm li(int rd, long v) {
        if (v == (int) v) {
            int lo = (int) (v << 52 >> 52);
            int hi = (int) ((v - lo) >>> 12) & 0xFFFFF;
            if (hi != 0 && (int) ((long) hi << 12) + lo == (int) v) {
                lui(rd, hi);
                return addiw(rd, rd, lo);
            }
            if (hi == 0) {
                return addi(rd, ZERO, lo);
            }
        }
        long lo = v << 52 >> 52;
        li(rd, (v - lo) >> 12);
        slli(rd, rd, 12);
        return addi(rd, rd, (int) lo);
    }

    // ---- M, A ----
    public Asm mulop(int f3, int rd, int rs1, int rs2) { return op(1, f3, rd, rs1, rs2); }
    public Asm mulop32(int f3, int rd, int rs1, int rs2) { return op32(1, f3, rd, rs1, rs2); }

    /** An AMO/LR/SC: f5 function, width 2 (W) or 3 (D). */
    public Asm amo(int f5, int width, int rd, int rs1, int rs2) {
        return word(r(f5 << 2, rs2, rs1, width, rd, 0x2F));
    }

    // ---- system ----
    public Asm ecall() { return word(0x73); }
    public Asm ebreak() { return word(0x00100073); }
    public Asm mret() { return word(0x30200073); }
    public Asm sret() { return word(0x10200073); }
    public Asm wfi() { return word(0x10500073); }
    public Asm fenceI() { return word(0x0000100F); }
    public Asm sfenceVma(int rs1, int rs2) { return word(r(0x09, rs2, rs1, 0, 0, 0x73)); }
    public Asm csrrw(int rd, int csr, int rs1) { return word(i(csr, rs1, 1, rd, 0x73)); }
    public Asm csrrs(int rd, int csr, int rs1) { return word(i(csr, rs1, 2, rd, 0x73)); }
    public Asm csrrc(int rd, int csr, int rs1) { return word(i(csr, rs1, 3, rd, 0x73)); }
    public Asm csrrwi(int rd, int csr, int imm) { return word(i(csr, imm, 5, rd, 0x73)); }
    public Asm csrr(int rd, int csr) { return csrrs(rd, csr, ZERO); }
    public Asm csrw(int csr, int rs1) { return csrrw(ZERO, csr, rs1); }

    /** SBI call: a7 = eid, a6 = fid, then ecall. */
    public Asm sbi(long eid, long fid) {
        li(A7, eid);
        li(A6, fid);
        return ecall();
    }
}
