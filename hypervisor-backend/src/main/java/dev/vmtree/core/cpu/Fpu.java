package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.SoftFloat.D;
import static dev.vmtree.core.cpu.SoftFloat.S;

/**
 * Executes the F and D extensions' instructions on a hart: loads and stores of f registers,
 * arithmetic, fused multiply-adds, conversions, moves, comparisons and classification, with the
 * rounding mode taken from the instruction or {@code frm} and the exception flags accrued into
 * {@code fflags}. Arithmetic itself is {@link SoftFloat}'s.
 *
 * <p>The architectural rules kept here: an FP instruction is illegal on a hart without F/D and
 * whenever {@code mstatus.FS} is Off; any write to an f register or to fcsr sets FS to Dirty;
 * singles live NaN-boxed in the 64-bit registers, and a single operand that is not properly boxed
 * reads as the canonical NaN; a dynamic rounding mode with an invalid {@code frm} is illegal.
 *
 * <p>Called by the interpreter off its fast path, with {@code h.pc} at the instruction and the
 * slice's step count current. Returns true when the instruction trapped (the handler's pc is in
 * {@code h.pc}) or asked to end the slice; false when it completed and the interpreter goes on to the
 * next instruction. Never allocates, never throws.
 */
final class Fpu {
    private Fpu() {}

    static final long FS = 3L << 13;
    static final long BOX = 0xFFFF_FFFF_0000_0000L;

    static boolean execute(Hart h, long d) {
        if (!h.fpu || (h.mstatus & FS) == 0) {
            Privileged.illegal(h);
            return true;
        }
        return switch (Op.op(d)) {
            case Op.FLW, Op.FLD -> load(h, d);
            case Op.FSW, Op.FSD -> store(h, d);
            case Op.FP_FMA -> fma(h, Op.imm(d));
            default -> compute(h, d);
        };
    }

    /** A single operand as the instruction sees it: the low half if properly NaN-boxed, else the canonical NaN. */
    static long unbox(long v) {
        return (v & BOX) == BOX ? v & 0xFFFF_FFFFL : SoftFloat.CANONICAL_NAN_S;
    }

    private static long operand(Hart h, int reg, int fmt) {
        long v = h.f[reg];
        return fmt == S ? unbox(v) : v;
    }

    private static void setF(Hart h, int reg, long v, int fmt) {
        h.f[reg] = fmt == S ? v | BOX : v;
        h.mstatus |= FS;
    }

    /** The rounding mode for the field {@code rm}: itself, or frm for 7; -1 when that is reserved. */
    private static int mode(Hart h, int rm) {
        int m = rm == 7 ? (h.fcsr >>> 5) & 7 : rm;
        return m <= SoftFloat.RMM ? m : -1;
    }

    private static boolean illegal(Hart h) {
        Privileged.illegal(h);
        return true;
    }

    private static void accrue(Hart h) {
        int flags = h.softFloat.flags;
        if (flags != 0) {
            h.fcsr |= flags;
            h.mstatus |= FS;
        }
    }

    private static boolean load(Hart h, long d) {
        boolean dbl = Op.op(d) == Op.FLD;
        int size = dbl ? 8 : 4;
        long va = h.x[Op.rs1(d)] + Op.imm(d);
        Tlb t = h.tlb;
        int i = (int) (va >>> 12) & Tlb.MASK;
        long v;
        if (t.rTag[i] == va >>> 12 && (va & (size - 1)) == 0) {
            v = dbl ? (long) Hart.I64.get(t.rPage[i], (int) va & 0xFFF)
                    : (int) Hart.I32.get(t.rPage[i], (int) va & 0xFFF) & 0xFFFF_FFFFL;
        } else {
            v = Mmu.load(h, va, size);
            if (h.loadTrapped) {
                return true;
            }
        }
        setF(h, Op.rs2(d), v, dbl ? D : S);
        return false;
    }

    private static boolean store(Hart h, long d) {
        boolean dbl = Op.op(d) == Op.FSD;
        int size = dbl ? 8 : 4;
        long va = h.x[Op.rs1(d)] + Op.imm(d);
        long v = h.f[Op.rs2(d)];           // FSW stores the low half as it is, boxed or not
        Tlb t = h.tlb;
        int i = (int) (va >>> 12) & Tlb.MASK;
        if (t.wTag[i] == va >>> 12 && (va & (size - 1)) == 0) {
            if (dbl) {
                Hart.I64.set(t.wPage[i], (int) va & 0xFFF, v);
            } else {
                Hart.I32.set(t.wPage[i], (int) va & 0xFFF, (int) v);
            }
            return false;
        }
        return Mmu.storeSlow(h, size, va, v, h.pc, d, h.sliceSteps + 1);
    }

    private static boolean fma(Hart h, int insn) {
        int fmt = (insn >>> 25) & 3;
        int m = mode(h, (insn >>> 12) & 7);
        if (m < 0) {
            return illegal(h);
        }
        int opcode = insn & 0x7F;          // 0x43 fmadd, 0x47 fmsub, 0x4B fnmsub, 0x4F fnmadd
        boolean negProduct = opcode == 0x4B || opcode == 0x4F;
        boolean negAddend = opcode == 0x47 || opcode == 0x4F;
        SoftFloat sf = h.softFloat;
        sf.flags = 0;
        long r = sf.fma(operand(h, (insn >>> 15) & 31, fmt), operand(h, (insn >>> 20) & 31, fmt),
                operand(h, insn >>> 27, fmt), negProduct, negAddend, m, fmt);
        setF(h, (insn >>> 7) & 31, r, fmt);
        accrue(h);
        return false;
    }

    private static boolean compute(Hart h, long d) {
        int insn = Op.imm(d);
        int fmt = (insn >>> 25) & 3;
        int funct = insn >>> 27;
        int rm = (insn >>> 12) & 7;
        int rd = (insn >>> 7) & 31, rs1 = (insn >>> 15) & 31, rs2 = (insn >>> 20) & 31;
        int xd = Op.rd(d);                  // x destination, x0 mapped to the sink
        SoftFloat sf = h.softFloat;
        sf.flags = 0;
        boolean rounds = funct <= 0x03 || funct == 0x0B || funct == 0x08 || funct == 0x18 || funct == 0x1A;
        int m = rounds ? mode(h, rm) : 0;
        if (m < 0) {
            return illegal(h);
        }
        switch (funct) {
            case 0x00 -> setF(h, rd, sf.add(operand(h, rs1, fmt), operand(h, rs2, fmt), m, fmt), fmt);
            case 0x01 -> setF(h, rd, sf.sub(operand(h, rs1, fmt), operand(h, rs2, fmt), m, fmt), fmt);
            case 0x02 -> setF(h, rd, sf.mul(operand(h, rs1, fmt), operand(h, rs2, fmt), m, fmt), fmt);
            case 0x03 -> setF(h, rd, sf.div(operand(h, rs1, fmt), operand(h, rs2, fmt), m, fmt), fmt);
            case 0x0B -> setF(h, rd, sf.sqrt(operand(h, rs1, fmt), m, fmt), fmt);
            case 0x04 -> {
                long a = operand(h, rs1, fmt), b = operand(h, rs2, fmt);
                long sign = fmt == S ? 1L << 31 : 1L << 63;
                long s = switch (rm) {
                    case 0 -> b & sign;
                    case 1 -> ~b & sign;
                    default -> (a ^ b) & sign;
                };
                setF(h, rd, (a & ~sign) | s, fmt);
            }
            case 0x05 -> setF(h, rd, sf.minMax(operand(h, rs1, fmt), operand(h, rs2, fmt), rm == 1, fmt), fmt);
            case 0x08 -> setF(h, rd, fmt == S ? sf.convert(h.f[rs1], D, S, m) : sf.convert(unbox(h.f[rs1]), S, D, m), fmt);
            case 0x14 -> {
                long a = operand(h, rs1, fmt), b = operand(h, rs2, fmt);
                boolean r = switch (rm) {
                    case 0 -> sf.le(a, b, fmt);
                    case 1 -> sf.lt(a, b, fmt);
                    default -> sf.eq(a, b, fmt);
                };
                h.x[xd] = r ? 1 : 0;
            }
            case 0x18 -> h.x[xd] = sf.toInt(operand(h, rs1, fmt), rs2, m, fmt);
            case 0x1A -> setF(h, rd, sf.fromInt(h.x[rs1], rs2, m, fmt), fmt);
            case 0x1C -> h.x[xd] = rm == 1 ? SoftFloat.classify(operand(h, rs1, fmt), fmt)
                    : fmt == S ? (int) h.f[rs1] : h.f[rs1];
            default -> setF(h, rd, fmt == S ? h.x[rs1] & 0xFFFF_FFFFL : h.x[rs1], fmt); // 0x1E fmv.fmt.x
        }
        accrue(h);
        return false;
    }
}
