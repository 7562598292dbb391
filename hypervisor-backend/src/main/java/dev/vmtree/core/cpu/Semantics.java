package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Hart.I16;
import static dev.vmtree.core.cpu.Hart.I32;
import static dev.vmtree.core.cpu.Hart.I64;

/**
 * The one definition of every instruction both execution tiers run inline: integer ALU operations,
 * branch conditions, the software TLB's fast-path probes and RAM loads and stores within a page.
 * {@link Hart#interpret} calls these methods and {@link Translator} emits calls to the same methods
 * (named in {@link #ALU} and {@link #BRANCH}), so the interpreter and translated code cannot drift;
 * HotSpot inlines them in both. Everything rarer (traps, CSRs, MMIO, atomics, floating point) has
 * its single definition in the slow paths ({@link Mmu}, {@link Privileged}, {@link Atomics},
 * {@link Fpu}) that both tiers call.
 *
 * <p>Operands are the register values (or the immediate for the I-forms); shifts use the low six
 * (five for W forms) bits of the amount exactly as Java's shift operators do.
 */
final class Semantics {
    private Semantics() {}

    // ---- integer ALU: (long, long) -> long -----------------------------------------------------

    static long add(long a, long b) { return a + b; }
    static long sub(long a, long b) { return a - b; }
    static long sll(long a, long b) { return a << b; }
    static long slt(long a, long b) { return a < b ? 1 : 0; }
    static long sltu(long a, long b) { return Long.compareUnsigned(a, b) < 0 ? 1 : 0; }
    static long xor(long a, long b) { return a ^ b; }
    static long srl(long a, long b) { return a >>> b; }
    static long sra(long a, long b) { return a >> b; }
    static long or(long a, long b) { return a | b; }
    static long and(long a, long b) { return a & b; }
    static long addw(long a, long b) { return (int) (a + b); }
    static long subw(long a, long b) { return (int) (a - b); }
    static long sllw(long a, long b) { return (int) a << b; }
    static long srlw(long a, long b) { return (int) a >>> b; }
    static long sraw(long a, long b) { return (int) a >> b; }
    static long mul(long a, long b) { return a * b; }
    static long mulw(long a, long b) { return (int) a * (int) b; }
    static long mulh(long a, long b) { return Math.multiplyHigh(a, b); }
    static long mulhu(long a, long b) { return Math.unsignedMultiplyHigh(a, b); }
    /** b unsigned: b_u = b + 2^64 when b < 0, so the high half gains a. */
    static long mulhsu(long a, long b) { return Math.multiplyHigh(a, b) + (b < 0 ? a : 0); }
    static long div(long a, long b) { return b == 0 ? -1 : (a == Long.MIN_VALUE && b == -1) ? a : a / b; }
    static long divu(long a, long b) { return b == 0 ? -1 : Long.divideUnsigned(a, b); }
    static long rem(long a, long b) { return b == 0 ? a : (a == Long.MIN_VALUE && b == -1) ? 0 : a % b; }
    static long remu(long a, long b) { return b == 0 ? a : Long.remainderUnsigned(a, b); }

    static long divw(long a, long b) {
        int x = (int) a, y = (int) b;
        return y == 0 ? -1 : (x == Integer.MIN_VALUE && y == -1) ? x : x / y;
    }

    static long divuw(long a, long b) {
        int y = (int) b;
        return y == 0 ? -1 : (int) Integer.divideUnsigned((int) a, y);
    }

    static long remw(long a, long b) {
        int x = (int) a, y = (int) b;
        return y == 0 ? x : (x == Integer.MIN_VALUE && y == -1) ? 0 : x % y;
    }

    static long remuw(long a, long b) {
        int y = (int) b;
        return y == 0 ? (int) a : (int) Integer.remainderUnsigned((int) a, y);
    }

    // ---- branch conditions: (long, long) -> boolean --------------------------------------------

    static boolean beq(long a, long b) { return a == b; }
    static boolean bne(long a, long b) { return a != b; }
    static boolean blt(long a, long b) { return a < b; }
    static boolean bge(long a, long b) { return a >= b; }
    static boolean bltu(long a, long b) { return Long.compareUnsigned(a, b) < 0; }
    static boolean bgeu(long a, long b) { return Long.compareUnsigned(a, b) >= 0; }

    /**
     * The ALU method of each operation (index: {@link Op} number), null for operations that are not
     * a pure function of two operands. I-forms name the method of their R-form: the second operand
     * is the immediate.
     */
    static final String[] ALU = new String[Op.COUNT];
    /** The condition method of each branch operation, null for others. */
    static final String[] BRANCH = new String[Op.COUNT];
    /** True for the I-forms in {@link #ALU}: the second operand is the immediate, not rs2. */
    static final boolean[] IMMEDIATE = new boolean[Op.COUNT];

    static {
        alu(Op.ADD, "add", Op.ADDI); alu(Op.SUB, "sub", -1); alu(Op.SLL, "sll", Op.SLLI);
        alu(Op.SLT, "slt", Op.SLTI); alu(Op.SLTU, "sltu", Op.SLTIU); alu(Op.XOR, "xor", Op.XORI);
        alu(Op.SRL, "srl", Op.SRLI); alu(Op.SRA, "sra", Op.SRAI); alu(Op.OR, "or", Op.ORI);
        alu(Op.AND, "and", Op.ANDI); alu(Op.ADDW, "addw", Op.ADDIW); alu(Op.SUBW, "subw", -1);
        alu(Op.SLLW, "sllw", Op.SLLIW); alu(Op.SRLW, "srlw", Op.SRLIW); alu(Op.SRAW, "sraw", Op.SRAIW);
        alu(Op.MUL, "mul", -1); alu(Op.MULW, "mulw", -1); alu(Op.MULH, "mulh", -1);
        alu(Op.MULHU, "mulhu", -1); alu(Op.MULHSU, "mulhsu", -1); alu(Op.DIV, "div", -1);
        alu(Op.DIVU, "divu", -1); alu(Op.REM, "rem", -1); alu(Op.REMU, "remu", -1);
        alu(Op.DIVW, "divw", -1); alu(Op.DIVUW, "divuw", -1); alu(Op.REMW, "remw", -1);
        alu(Op.REMUW, "remuw", -1);
        BRANCH[Op.BEQ] = "beq"; BRANCH[Op.BNE] = "bne"; BRANCH[Op.BLT] = "blt";
        BRANCH[Op.BGE] = "bge"; BRANCH[Op.BLTU] = "bltu"; BRANCH[Op.BGEU] = "bgeu";
    }

    private static void alu(int op, String method, int immediateForm) {
        ALU[op] = method;
        if (immediateForm >= 0) {
            ALU[immediateForm] = method;
            IMMEDIATE[immediateForm] = true;
        }
    }

    // ---- RAM through the software TLB ----------------------------------------------------------

    /**
     * The RAM page array for a {@code size}-byte read at {@code va} when the read TLB holds its page
     * and the access stays inside it (misaligned ones included); null sends it to {@link Mmu#loadSlow}.
     */
    static byte[] readable(Tlb t, long va, int size) {
        int i = (int) (va >>> 12) & Tlb.MASK;
        return t.rTag[i] == va >>> 12 && ((int) va & 0xFFF) <= 4096 - size ? t.rPage[i] : null;
    }

    /** As {@link #readable} for a store; null sends it to {@link Mmu#storeSlow}. */
    static byte[] writable(Tlb t, long va, int size) {
        int i = (int) (va >>> 12) & Tlb.MASK;
        return t.wTag[i] == va >>> 12 && ((int) va & 0xFFF) <= 4096 - size ? t.wPage[i] : null;
    }

    /** Size in bytes of a load or store operation. */
    static int size(int op) {
        return switch (op) {
            case Op.LB, Op.LBU, Op.SB -> 1;
            case Op.LH, Op.LHU, Op.SH -> 2;
            case Op.LW, Op.LWU, Op.SW -> 4;
            default -> 8;
        };
    }

    /** The load method of each load operation ({@code (byte[] page, int offset) -> long}), null for others. */
    static final String[] LOAD = new String[Op.COUNT];
    /** The store method of each store operation ({@code (byte[] page, int offset, long value)}), null for others. */
    static final String[] STORE = new String[Op.COUNT];

    static {
        LOAD[Op.LB] = "lb"; LOAD[Op.LBU] = "lbu"; LOAD[Op.LH] = "lh"; LOAD[Op.LHU] = "lhu";
        LOAD[Op.LW] = "lw"; LOAD[Op.LWU] = "lwu"; LOAD[Op.LD] = "ld";
        STORE[Op.SB] = "sb"; STORE[Op.SH] = "sh"; STORE[Op.SW] = "sw"; STORE[Op.SD] = "sd";
    }

    static long lb(byte[] p, int off) { return p[off]; }
    static long lbu(byte[] p, int off) { return p[off] & 0xFFL; }
    static long lh(byte[] p, int off) { return (short) I16.get(p, off); }
    static long lhu(byte[] p, int off) { return (short) I16.get(p, off) & 0xFFFFL; }
    static long lw(byte[] p, int off) { return (int) I32.get(p, off); }
    static long lwu(byte[] p, int off) { return (int) I32.get(p, off) & 0xFFFF_FFFFL; }
    static long ld(byte[] p, int off) { return (long) I64.get(p, off); }
    static void sb(byte[] p, int off, long v) { p[off] = (byte) v; }
    static void sh(byte[] p, int off, long v) { I16.set(p, off, (short) v); }
    static void sw(byte[] p, int off, long v) { I32.set(p, off, (int) v); }
    static void sd(byte[] p, int off, long v) { I64.set(p, off, v); }
}
