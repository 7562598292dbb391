package dev.vmtree.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tiny RV64IMAC assembler for generated test programs: each method appends one instruction
 * (32-bit, or 16-bit for the {@code c*} methods), branches and jumps name a label that may be
 * bound later. {@link #assemble()} lays the instructions out from {@code origin}, resolves labels
 * and returns the bytes; {@link #listing()} returns GNU-assembler text of the same program
 * (branch targets as {@code .+offset}), which {@code RvAsmTest} feeds to binutils to check the
 * encodings. Not thread-safe; one instance per program.
 */
final class RvAsm {

    /** Register names in ABI order, for listings. */
    static final String[] REG = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"
    };

    /** Encodes an instruction once its own address and the label addresses are known. */
    private interface Encoder {
        int encode(long pc, Map<String, Long> labels);
    }

    /** One instruction; text null means the listing disassembles its encoding (pc-relative pairs). */
    private record Insn(int length, String text, Encoder encoder, String target) {}

    private final long origin;
    private final List<Insn> insns = new ArrayList<>();
    private final Map<String, Integer> labelIndex = new HashMap<>();

    RvAsm(long origin) {
        this.origin = origin;
    }

    /** Binds a label to the next instruction appended. */
    RvAsm label(String name) {
        if (labelIndex.putIfAbsent(name, insns.size()) != null) {
            throw new IllegalArgumentException("label bound twice: " + name);
        }
        return this;
    }

    int size() {
        return insns.size();
    }

    private RvAsm add(int bits, String text) {
        insns.add(new Insn(4, text, (pc, l) -> bits, null));
        return this;
    }

    private RvAsm add16(int bits, String text) {
        insns.add(new Insn(2, text, (pc, l) -> bits, null));
        return this;
    }

    // ---- base formats ----

    static int r(int f7, int rs2, int rs1, int f3, int rd, int op) {
        return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
    }

    static int i(int imm, int rs1, int f3, int rd, int op) {
        checkSigned(imm, 12);
        return (imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
    }

    static int s(int imm, int rs2, int rs1, int f3, int op) {
        checkSigned(imm, 12);
        return ((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1f) << 7 | op;
    }

    static int b(int imm, int rs2, int rs1, int f3) {
        checkSigned(imm, 13);
        return ((imm >> 12) & 1) << 31 | ((imm >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12
                | ((imm >> 1) & 0xf) << 8 | ((imm >> 11) & 1) << 7 | 0x63;
    }

    static int j(int imm, int rd) {
        checkSigned(imm, 21);
        return ((imm >> 20) & 1) << 31 | ((imm >> 1) & 0x3ff) << 21 | ((imm >> 11) & 1) << 20
                | ((imm >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
    }

    private static void checkSigned(long v, int bits) {
        if (v < -(1L << (bits - 1)) || v >= (1L << (bits - 1))) {
            throw new IllegalArgumentException(v + " does not fit " + bits + " signed bits");
        }
    }

    /** R-type ALU/M operation by name, e.g. "add", "mulhsu", "remuw". */
    RvAsm op(String name, int rd, int rs1, int rs2) {
        AluOp o = AluOp.of(name);
        return add(r(o.f7, rs2, rs1, o.f3, rd, o.word ? 0x3b : 0x33),
                name + " " + REG[rd] + ", " + REG[rs1] + ", " + REG[rs2]);
    }

    /** I-type ALU operation: addi slti sltiu xori ori andi addiw, shifts slli srli srai slliw srliw sraiw. */
    RvAsm opImm(String name, int rd, int rs1, int imm) {
        String text = name + " " + REG[rd] + ", " + REG[rs1] + ", " + imm;
        return switch (name) {
            case "addi" -> add(i(imm, rs1, 0, rd, 0x13), text);
            case "slti" -> add(i(imm, rs1, 2, rd, 0x13), text);
            case "sltiu" -> add(i(imm, rs1, 3, rd, 0x13), text);
            case "xori" -> add(i(imm, rs1, 4, rd, 0x13), text);
            case "ori" -> add(i(imm, rs1, 6, rd, 0x13), text);
            case "andi" -> add(i(imm, rs1, 7, rd, 0x13), text);
            case "addiw" -> add(i(imm, rs1, 0, rd, 0x1b), text);
            case "slli" -> add(i(shamt(imm, 63), rs1, 1, rd, 0x13), text);
            case "srli" -> add(i(shamt(imm, 63), rs1, 5, rd, 0x13), text);
            case "srai" -> add(i(shamt(imm, 63) | 0x400, rs1, 5, rd, 0x13), text);
            case "slliw" -> add(i(shamt(imm, 31), rs1, 1, rd, 0x1b), text);
            case "srliw" -> add(i(shamt(imm, 31), rs1, 5, rd, 0x1b), text);
            case "sraiw" -> add(i(shamt(imm, 31) | 0x400, rs1, 5, rd, 0x1b), text);
            default -> throw new IllegalArgumentException("not an immediate op: " + name);
        };
    }

    private static int shamt(int v, int max) {
        if (v < 0 || v > max) {
            throw new IllegalArgumentException("shift amount " + v);
        }
        return v;
    }

    RvAsm lui(int rd, int imm20) {
        return add((imm20 & 0xfffff) << 12 | rd << 7 | 0x37, "lui " + REG[rd] + ", " + (imm20 & 0xfffff));
    }

    RvAsm auipc(int rd, int imm20) {
        return add((imm20 & 0xfffff) << 12 | rd << 7 | 0x17, "auipc " + REG[rd] + ", " + (imm20 & 0xfffff));
    }

    private static final String[] LOADS = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"};
    private static final String[] STORES = {"sb", "sh", "sw", "sd"};

    /** Loads by width code 0..6 (lb lh lw ld lbu lhu lwu). */
    RvAsm load(int f3, int rd, int rs1, int imm) {
        return add(i(imm, rs1, f3, rd, 0x03), LOADS[f3] + " " + REG[rd] + ", " + imm + "(" + REG[rs1] + ")");
    }

    /** Stores by width code 0..3 (sb sh sw sd). */
    RvAsm store(int f3, int rs2, int rs1, int imm) {
        return add(s(imm, rs2, rs1, f3, 0x23), STORES[f3] + " " + REG[rs2] + ", " + imm + "(" + REG[rs1] + ")");
    }

    /** AMO by funct5 name: amoswap amoadd amoxor amoand amoor amomin amomax amominu amomaxu lr sc. */
    RvAsm amo(String name, boolean dword, int rd, int rs2, int rs1) {
        int f5 = switch (name) {
            case "amoadd" -> 0x00;
            case "amoswap" -> 0x01;
            case "lr" -> 0x02;
            case "sc" -> 0x03;
            case "amoxor" -> 0x04;
            case "amoor" -> 0x08;
            case "amoand" -> 0x0c;
            case "amomin" -> 0x10;
            case "amomax" -> 0x14;
            case "amominu" -> 0x18;
            case "amomaxu" -> 0x1c;
            default -> throw new IllegalArgumentException("not an AMO: " + name);
        };
        String mnemonic = name + (dword ? ".d" : ".w");
        String text = name.equals("lr")
                ? mnemonic + " " + REG[rd] + ", (" + REG[rs1] + ")"
                : mnemonic + " " + REG[rd] + ", " + REG[rs2] + ", (" + REG[rs1] + ")";
        return add(f5 << 27 | rs2 << 20 | rs1 << 15 | (dword ? 3 : 2) << 12 | rd << 7 | 0x2f, text);
    }

    /** Any 32-bit instruction, with the text its listing shows. */
    RvAsm raw(int bits, String text) {
        return add(bits, text);
    }

    /** Any 16-bit instruction, with the text its listing shows. */
    RvAsm raw16(int bits, String text) {
        return add16(bits, text);
    }

    RvAsm ecall() {
        return add(0x00000073, "ecall");
    }

    /** csrrw x0, csr, rs1. */
    RvAsm csrw(int csr, String name, int rs1) {
        return add(i(0, rs1, 1, 0, 0x73) | csr << 20, "csrw " + name + ", " + REG[rs1]);
    }

    RvAsm sfenceVma() {
        return add(0x12000073, "sfence.vma");
    }

    RvAsm fence() {
        return add(0x0ff0000f, "fence iorw, iorw");
    }

    /** Conditional branch by name (beq bne blt bge bltu bgeu) to a label. */
    RvAsm branch(String name, int rs1, int rs2, String label) {
        int f3 = switch (name) {
            case "beq" -> 0;
            case "bne" -> 1;
            case "blt" -> 4;
            case "bge" -> 5;
            case "bltu" -> 6;
            case "bgeu" -> 7;
            default -> throw new IllegalArgumentException("not a branch: " + name);
        };
        insns.add(new Insn(4, name + " " + REG[rs1] + ", " + REG[rs2] + ", ",
                (pc, l) -> b((int) (l.get(label) - pc), rs2, rs1, f3), label));
        return this;
    }

    RvAsm jal(int rd, String label) {
        insns.add(new Insn(4, "jal " + REG[rd] + ", ", (pc, l) -> j((int) (l.get(label) - pc), rd), label));
        return this;
    }

    RvAsm jalr(int rd, int rs1, int imm) {
        return add(i(imm, rs1, 0, rd, 0x67), "jalr " + REG[rd] + ", " + imm + "(" + REG[rs1] + ")");
    }

    /** auipc rd + addi rd: rd = address of label (pc-relative, so position independent). */
    RvAsm la(int rd, String label) {
        return pcRelative(rd, label, l -> l.get(label), 0x13);
    }

    /** auipc rd + addi rd: rd = a fixed absolute address, reached pc-relative. */
    RvAsm laAbsolute(int rd, long address) {
        return pcRelative(rd, null, l -> address, 0x13);
    }

    /** auipc tmp + jalr rd, lo(tmp): an indirect jump to a label. */
    RvAsm jalrTo(int rd, int tmp, String label) {
        return pcRelative(tmp, label, l -> l.get(label), 0x67, rd);
    }

    private RvAsm pcRelative(int rd, String label, java.util.function.ToLongFunction<Map<String, Long>> target, int op) {
        return pcRelative(rd, label, target, op, rd);
    }

    /** auipc base, hi; then an I-type (addi or jalr) writing dest from base + lo. */
    private RvAsm pcRelative(int base, String label, java.util.function.ToLongFunction<Map<String, Long>> target,
                             int op, int dest) {
        insns.add(new Insn(4, null, (pc, l) -> {
            long off = target.applyAsLong(l) - pc;
            return (int) (((off + 0x800) >> 12) & 0xfffff) << 12 | base << 7 | 0x17;
        }, label));
        insns.add(new Insn(4, null, (pc, l) -> {
            long off = target.applyAsLong(l) - (pc - 4);
            int lo = (int) (off - (((off + 0x800) >> 12) << 12));
            return i(lo, base, 0, dest, op);
        }, label));
        return this;
    }

    // ---- compressed (RV64C) ----

    private static int creg(int r) {
        if (r < 8 || r > 15) {
            throw new IllegalArgumentException("compressed register out of x8..x15: " + r);
        }
        return r - 8;
    }

    /** CI format: funct3, imm bit 5 at 12, rd, imm[4:0] at 6..2, quadrant. */
    private static int ci(int f3, int imm6, int rd, int quadrant) {
        return f3 << 13 | ((imm6 >> 5) & 1) << 12 | rd << 7 | (imm6 & 0x1f) << 2 | quadrant;
    }

    RvAsm cAddi(int rd, int imm) {
        checkSigned(imm, 6);
        return add16(ci(0, imm, rd, 1), "c.addi " + REG[rd] + ", " + imm);
    }

    RvAsm cAddiw(int rd, int imm) {
        checkSigned(imm, 6);
        return add16(ci(1, imm, rd, 1), "c.addiw " + REG[rd] + ", " + imm);
    }

    RvAsm cLi(int rd, int imm) {
        checkSigned(imm, 6);
        return add16(ci(2, imm, rd, 1), "c.li " + REG[rd] + ", " + imm);
    }

    /** c.lui with a non-zero 6-bit signed value of nzimm[17:12]. */
    RvAsm cLui(int rd, int imm6) {
        checkSigned(imm6, 6);
        return add16(ci(3, imm6, rd, 1), "c.lui " + REG[rd] + ", " + (imm6 & 0xfffff));
    }

    RvAsm cSlli(int rd, int shamt) {
        return add16(ci(0, shamt(shamt, 63), rd, 2), "c.slli " + REG[rd] + ", " + shamt);
    }

    RvAsm cSrli(int rd, int shamt) {
        return add16(4 << 13 | ((shamt(shamt, 63) >> 5) & 1) << 12 | creg(rd) << 7 | (shamt & 0x1f) << 2 | 1,
                "c.srli " + REG[rd] + ", " + shamt);
    }

    RvAsm cSrai(int rd, int shamt) {
        return add16(4 << 13 | ((shamt(shamt, 63) >> 5) & 1) << 12 | 1 << 10 | creg(rd) << 7 | (shamt & 0x1f) << 2 | 1,
                "c.srai " + REG[rd] + ", " + shamt);
    }

    RvAsm cAndi(int rd, int imm) {
        checkSigned(imm, 6);
        return add16(4 << 13 | ((imm >> 5) & 1) << 12 | 2 << 10 | creg(rd) << 7 | (imm & 0x1f) << 2 | 1,
                "c.andi " + REG[rd] + ", " + imm);
    }

    /** CA format: c.sub c.xor c.or c.and c.subw c.addw. */
    RvAsm cArith(String name, int rd, int rs2) {
        int bits = switch (name) {
            case "c.sub" -> 0;
            case "c.xor" -> 1;
            case "c.or" -> 2;
            case "c.and" -> 3;
            case "c.subw" -> 4;
            case "c.addw" -> 5;
            default -> throw new IllegalArgumentException("not a CA op: " + name);
        };
        return add16(4 << 13 | (bits >> 2) << 12 | 3 << 10 | creg(rd) << 7 | (bits & 3) << 5 | creg(rs2) << 2 | 1,
                name + " " + REG[rd] + ", " + REG[rs2]);
    }

    RvAsm cMv(int rd, int rs2) {
        return add16(4 << 13 | rd << 7 | rs2 << 2 | 2, "c.mv " + REG[rd] + ", " + REG[rs2]);
    }

    RvAsm cAdd(int rd, int rs2) {
        return add16(4 << 13 | 1 << 12 | rd << 7 | rs2 << 2 | 2, "c.add " + REG[rd] + ", " + REG[rs2]);
    }

    RvAsm cNop() {
        return add16(0x0001, "c.nop");
    }

    /** c.lw / c.sw (word, offset multiple of 4 up to 124) and c.ld / c.sd (offset multiple of 8 up to 248). */
    RvAsm cMem(boolean store, boolean dword, int reg, int base, int off) {
        int f3 = (store ? 6 : 2) | (dword ? 1 : 0);
        int low = dword ? ((off >> 6) & 3) << 5 : ((off >> 2) & 1) << 6 | ((off >> 6) & 1) << 5;
        if (off < 0 || off % (dword ? 8 : 4) != 0 || off > (dword ? 248 : 124)) {
            throw new IllegalArgumentException("compressed offset " + off);
        }
        String name = "c." + (store ? "s" : "l") + (dword ? "d" : "w");
        return add16(f3 << 13 | ((off >> 3) & 7) << 10 | creg(base) << 7 | low | creg(reg) << 2,
                name + " " + REG[reg] + ", " + off + "(" + REG[base] + ")");
    }

    RvAsm cJ(String label) {
        insns.add(new Insn(2, "c.j ", (pc, l) -> {
            int o = (int) (l.get(label) - pc);
            checkSigned(o, 12);
            return 5 << 13 | ((o >> 11) & 1) << 12 | ((o >> 4) & 1) << 11 | ((o >> 8) & 3) << 9
                    | ((o >> 10) & 1) << 8 | ((o >> 6) & 1) << 7 | ((o >> 7) & 1) << 6 | ((o >> 1) & 7) << 3
                    | ((o >> 5) & 1) << 2 | 1;
        }, label));
        return this;
    }

    /** c.beqz / c.bnez to a label. */
    RvAsm cBranch(boolean notZero, int rs1, String label) {
        int reg = creg(rs1);
        insns.add(new Insn(2, (notZero ? "c.bnez " : "c.beqz ") + REG[rs1] + ", ", (pc, l) -> {
            int o = (int) (l.get(label) - pc);
            checkSigned(o, 9);
            return (notZero ? 7 : 6) << 13 | ((o >> 8) & 1) << 12 | ((o >> 3) & 3) << 10 | reg << 7
                    | ((o >> 6) & 3) << 5 | ((o >> 1) & 3) << 3 | ((o >> 5) & 1) << 2 | 1;
        }, label));
        return this;
    }

    // ---- layout ----

    private long[] addresses() {
        long[] at = new long[insns.size() + 1];
        long pc = origin;
        for (int k = 0; k < insns.size(); k++) {
            at[k] = pc;
            pc += insns.get(k).length;
        }
        at[insns.size()] = pc;
        return at;
    }

    private Map<String, Long> labels(long[] at) {
        Map<String, Long> labels = new HashMap<>();
        labelIndex.forEach((name, index) -> labels.put(name, at[index]));
        for (Insn insn : insns) {
            if (insn.target != null && !labels.containsKey(insn.target)) {
                throw new IllegalStateException("label never bound: " + insn.target);
            }
        }
        return labels;
    }

    /** Address the next appended instruction would get. */
    long end() {
        return addresses()[insns.size()];
    }

    byte[] assemble() {
        long[] at = addresses();
        Map<String, Long> labels = labels(at);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int k = 0; k < insns.size(); k++) {
            Insn insn = insns.get(k);
            int bits = insn.encoder.encode(at[k], labels);
            for (int n = 0; n < insn.length; n++) {
                out.write(bits >>> (8 * n));
            }
        }
        return out.toByteArray();
    }

    /**
     * One line per instruction: address, then GNU syntax with label operands as {@code .+offset} or
     * {@code .-offset}; pc-relative pairs are written as their auipc and addi/jalr halves with numbers.
     */
    List<String> listing() {
        long[] at = addresses();
        Map<String, Long> labels = labels(at);
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < insns.size(); k++) {
            Insn insn = insns.get(k);
            String text;
            if (insn.text == null) {
                text = disassemblePcRelative(insn.encoder.encode(at[k], labels));
            } else if (insn.target != null) {
                long off = labels.get(insn.target) - at[k];
                text = insn.text + (off >= 0 ? ".+" + off : ".-" + -off);
            } else {
                text = insn.text;
            }
            lines.add(String.format("%08x: %s", at[k], text));
        }
        return lines;
    }

    private static String disassemblePcRelative(int bits) {
        int rd = (bits >> 7) & 31;
        int rs1 = (bits >> 15) & 31;
        return switch (bits & 0x7f) {
            case 0x17 -> "auipc " + REG[rd] + ", " + ((bits >>> 12) & 0xfffff);
            case 0x13 -> "addi " + REG[rd] + ", " + REG[rs1] + ", " + (bits >> 20);
            default -> "jalr " + REG[rd] + ", " + (bits >> 20) + "(" + REG[rs1] + ")";
        };
    }

    /** True when instruction k is 16 bits (the listing needs `.option rvc` around it). */
    boolean compressed(int k) {
        return insns.get(k).length == 2;
    }

    /** R-type operations with their funct fields. */
    private enum AluOp {
        ADD(0, 0, false), SUB(0, 0x20, false), SLL(1, 0, false), SLT(2, 0, false), SLTU(3, 0, false),
        XOR(4, 0, false), SRL(5, 0, false), SRA(5, 0x20, false), OR(6, 0, false), AND(7, 0, false),
        MUL(0, 1, false), MULH(1, 1, false), MULHSU(2, 1, false), MULHU(3, 1, false), DIV(4, 1, false),
        DIVU(5, 1, false), REM(6, 1, false), REMU(7, 1, false),
        ADDW(0, 0, true), SUBW(0, 0x20, true), SLLW(1, 0, true), SRLW(5, 0, true), SRAW(5, 0x20, true),
        MULW(0, 1, true), DIVW(4, 1, true), DIVUW(5, 1, true), REMW(6, 1, true), REMUW(7, 1, true);

        final int f3;
        final int f7;
        final boolean word;

        AluOp(int f3, int f7, boolean word) {
            this.f3 = f3;
            this.f7 = f7;
            this.word = word;
        }

        static AluOp of(String name) {
            return valueOf(name.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
