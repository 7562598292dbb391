package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Op.*;

/**
 * Decodes RV64GC (IMAFDC + Zicsr + Zifencei) instructions into the packed form of {@link Op}.
 * Compressed instructions expand to their base equivalents. Decoding does not depend on the hart:
 * a hart without F/D raises illegal instruction when it executes a floating-point operation
 * ({@link Fpu}). Reserved encodings, including the reserved static rounding modes 5 and 6, decode
 * to ILLEGAL. Pure functions; thread-safe.
 */
public final class Decoder {
    private Decoder() {}

    /** True when the low 16 bits start a 4-byte instruction. */
    public static boolean isLong(int low16) {
        return (low16 & 3) == 3;
    }

    /** Decodes a 4-byte instruction. */
    public static long decode32(int insn) {
        int opcode = insn & 0x7F;
        int rd = (insn >>> 7) & 31;
        int f3 = (insn >>> 12) & 7;
        int rs1 = (insn >>> 15) & 31;
        int rs2 = (insn >>> 20) & 31;
        int f7 = insn >>> 25;
        int immI = insn >> 20;
        return switch (opcode) {
            case 0x37 -> pack(LUI, false, rd, 0, 0, insn & 0xFFFFF000);
            case 0x17 -> pack(AUIPC, false, rd, 0, 0, insn & 0xFFFFF000);
            case 0x6F -> pack(JAL, false, rd, 0, 0, immJ(insn));
            case 0x67 -> f3 == 0 ? pack(JALR, false, rd, rs1, 0, immI) : illegal(insn);
            case 0x63 -> {
                int op = switch (f3) {
                    case 0 -> BEQ;
                    case 1 -> BNE;
                    case 4 -> BLT;
                    case 5 -> BGE;
                    case 6 -> BLTU;
                    case 7 -> BGEU;
                    default -> ILLEGAL;
                };
                yield op == ILLEGAL ? illegal(insn) : pack(op, false, 0, rs1, rs2, immB(insn));
            }
            case 0x03 -> {
                int op = switch (f3) {
                    case 0 -> LB;
                    case 1 -> LH;
                    case 2 -> LW;
                    case 3 -> LD;
                    case 4 -> LBU;
                    case 5 -> LHU;
                    case 6 -> LWU;
                    default -> ILLEGAL;
                };
                yield op == ILLEGAL ? illegal(insn) : pack(op, false, rd, rs1, 0, immI);
            }
            case 0x23 -> {
                int immS = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
                int op = switch (f3) {
                    case 0 -> SB;
                    case 1 -> SH;
                    case 2 -> SW;
                    case 3 -> SD;
                    default -> ILLEGAL;
                };
                yield op == ILLEGAL ? illegal(insn) : pack(op, false, 0, rs1, rs2, immS);
            }
            case 0x13 -> opImm(insn, rd, f3, rs1, immI);
            case 0x1B -> opImm32(insn, rd, f3, rs1, f7);
            case 0x33 -> op(insn, rd, f3, rs1, rs2, f7);
            case 0x3B -> op32(insn, rd, f3, rs1, rs2, f7);
            case 0x0F -> f3 == 0 ? pack(FENCE, false, 0, 0, 0, 0)
                    : f3 == 1 ? pack(FENCE_I, false, 0, 0, 0, 0) : illegal(insn);
            case 0x73 -> system(insn, rd, f3, rs1, rs2, f7);
            case 0x2F -> amo(insn, rd, f3, rs1, rs2);
            case 0x07 -> f3 == 2 ? pack(FLW, false, 0, rs1, rd, immI)
                    : f3 == 3 ? pack(FLD, false, 0, rs1, rd, immI) : illegal(insn);
            case 0x27 -> {
                int immS = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
                yield f3 == 2 ? pack(FSW, false, 0, rs1, rs2, immS)
                        : f3 == 3 ? pack(FSD, false, 0, rs1, rs2, immS) : illegal(insn);
            }
            case 0x43, 0x47, 0x4B, 0x4F -> (f7 & 3) <= 1 && validRm(f3) ? pack(FP_FMA, false, 0, rs1, rs2, insn)
                    : illegal(insn);
            case 0x53 -> opFp(insn, rd, f3, rs1, rs2, f7);
            default -> illegal(insn);
        };
    }

    private static long opImm(int insn, int rd, int f3, int rs1, int immI) {
        int shamt = immI & 63;
        int f6 = (insn >>> 26);
        return switch (f3) {
            case 0 -> pack(ADDI, false, rd, rs1, 0, immI);
            case 1 -> f6 == 0 ? pack(SLLI, false, rd, rs1, 0, shamt) : illegal(insn);
            case 2 -> pack(SLTI, false, rd, rs1, 0, immI);
            case 3 -> pack(SLTIU, false, rd, rs1, 0, immI);
            case 4 -> pack(XORI, false, rd, rs1, 0, immI);
            case 5 -> f6 == 0 ? pack(SRLI, false, rd, rs1, 0, shamt)
                    : f6 == 0x10 ? pack(SRAI, false, rd, rs1, 0, shamt) : illegal(insn);
            case 6 -> pack(ORI, false, rd, rs1, 0, immI);
            default -> pack(ANDI, false, rd, rs1, 0, immI);
        };
    }

    private static long opImm32(int insn, int rd, int f3, int rs1, int f7) {
        int shamt = (insn >>> 20) & 31;
        return switch (f3) {
            case 0 -> pack(ADDIW, false, rd, rs1, 0, insn >> 20);
            case 1 -> f7 == 0 ? pack(SLLIW, false, rd, rs1, 0, shamt) : illegal(insn);
            case 5 -> f7 == 0 ? pack(SRLIW, false, rd, rs1, 0, shamt)
                    : f7 == 0x20 ? pack(SRAIW, false, rd, rs1, 0, shamt) : illegal(insn);
            default -> illegal(insn);
        };
    }

    private static final int[] OP_BASE = {ADD, SLL, SLT, SLTU, XOR, SRL, OR, AND};
    private static final int[] OP_MUL = {MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU};

    private static long op(int insn, int rd, int f3, int rs1, int rs2, int f7) {
        int op = switch (f7) {
            case 0 -> OP_BASE[f3];
            case 1 -> OP_MUL[f3];
            case 0x20 -> f3 == 0 ? SUB : f3 == 5 ? SRA : ILLEGAL;
            default -> ILLEGAL;
        };
        return op == ILLEGAL ? illegal(insn) : pack(op, false, rd, rs1, rs2, 0);
    }

    private static long op32(int insn, int rd, int f3, int rs1, int rs2, int f7) {
        int op = switch (f7) {
            case 0 -> f3 == 0 ? ADDW : f3 == 1 ? SLLW : f3 == 5 ? SRLW : ILLEGAL;
            case 0x20 -> f3 == 0 ? SUBW : f3 == 5 ? SRAW : ILLEGAL;
            case 1 -> switch (f3) {
                case 0 -> MULW;
                case 4 -> DIVW;
                case 5 -> DIVUW;
                case 6 -> REMW;
                case 7 -> REMUW;
                default -> ILLEGAL;
            };
            default -> ILLEGAL;
        };
        return op == ILLEGAL ? illegal(insn) : pack(op, false, rd, rs1, rs2, 0);
    }

    private static long system(int insn, int rd, int f3, int rs1, int rs2, int f7) {
        int csr = insn >>> 20;
        return switch (f3) {
            case 0 -> {
                if (insn == 0x00000073) yield pack(ECALL, false, 0, 0, 0, 0);
                if (insn == 0x00100073) yield pack(EBREAK, false, 0, 0, 0, 0);
                if (insn == 0x30200073) yield pack(MRET, false, 0, 0, 0, 0);
                if (insn == 0x10200073) yield pack(SRET, false, 0, 0, 0, 0);
                if (insn == 0x10500073) yield pack(WFI, false, 0, 0, 0, 0);
                if (f7 == 0x09 && rd == 0) yield pack(SFENCE_VMA, false, 0, rs1, rs2, 0);
                yield illegal(insn);
            }
            case 1 -> pack(CSRRW, false, rd, rs1, 0, csr);
            case 2 -> pack(CSRRS, false, rd, rs1, 0, csr);
            case 3 -> pack(CSRRC, false, rd, rs1, 0, csr);
            case 5 -> pack(CSRRWI, false, rd, rs1, 0, csr);
            case 6 -> pack(CSRRSI, false, rd, rs1, 0, csr);
            case 7 -> pack(CSRRCI, false, rd, rs1, 0, csr);
            default -> illegal(insn);
        };
    }

    /** A static rounding mode field other than the reserved 5 and 6 (7 = dynamic, checked when executed). */
    private static boolean validRm(int rm) {
        return rm != 5 && rm != 6;
    }

    private static long opFp(int insn, int rd, int f3, int rs1, int rs2, int f7) {
        int fmt = f7 & 3;              // 0 single, 1 double (2 half and 3 quad are not implemented)
        boolean ok = fmt <= 1 && switch (f7 >>> 2) {
            case 0x00, 0x01, 0x02, 0x03 -> validRm(f3);             // fadd fsub fmul fdiv
            case 0x0B -> rs2 == 0 && validRm(f3);                 // fsqrt
            case 0x04 -> f3 <= 2;                                 // fsgnj fsgnjn fsgnjx
            case 0x05 -> f3 <= 1;                                 // fmin fmax
            case 0x08 -> rs2 == (fmt ^ 1) && validRm(f3);         // fcvt.s.d, fcvt.d.s
            case 0x14 -> f3 <= 2;                                 // fle flt feq
            case 0x18, 0x1A -> rs2 <= 3 && validRm(f3);           // fcvt.{w,wu,l,lu}.fmt, fcvt.fmt.{w,wu,l,lu}
            case 0x1C -> rs2 == 0 && f3 <= 1;                     // fmv.x.fmt, fclass
            case 0x1E -> rs2 == 0 && f3 == 0;                     // fmv.fmt.x
            default -> false;
        };
        return ok ? pack(FP_OP, false, rd, rs1, rs2, insn) : illegal(insn);
    }

    private static long amo(int insn, int rd, int f3, int rs1, int rs2) {
        int f5 = insn >>> 27;
        if (f3 != 2 && f3 != 3) return illegal(insn);
        boolean known = switch (f5) {
            case 0x00, 0x01, 0x03, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C -> true;
            case 0x02 -> rs2 == 0;
            default -> false;
        };
        return known ? pack(AMO, false, rd, rs1, rs2, f5 | (f3 << 8)) : illegal(insn);
    }

    static long illegal(int insn) {
        return pack(ILLEGAL, false, 0, 0, 0, insn);
    }

    private static int immJ(int i) {
        return ((i >> 31) << 20) | (i & 0xFF000) | ((i >>> 9) & 0x800) | ((i >>> 20) & 0x7FE);
    }

    private static int immB(int i) {
        return ((i >> 31) << 12) | ((i << 4) & 0x800) | ((i >>> 20) & 0x7E0) | ((i >>> 7) & 0x1E);
    }

    // ---- RVC --------------------------------------------------------------------------------

    /** Decodes a 2-byte compressed instruction (RV64C) into its expanded base form. */
    public static long decode16(int c) {
        c &= 0xFFFF;
        int f3 = c >>> 13;
        int rdp = 8 + ((c >>> 2) & 7); // rd' / rs2'
        int rs1p = 8 + ((c >>> 7) & 7);
        int rd = (c >>> 7) & 31;
        int rs2 = (c >>> 2) & 31;
        int imm6 = (((c << 19) >> 26) & ~31) | ((c >>> 2) & 31); // sign-extended imm[5]=bit12, imm[4:0]=6:2
        int uimm6 = ((c >>> 7) & 32) | ((c >>> 2) & 31);
        switch (c & 3) {
            case 0 -> {
                switch (f3) {
                    case 0: {
                        int nz = ((c >>> 7) & 0x30) | ((c >>> 1) & 0x3C0) | ((c >>> 4) & 4) | ((c >>> 2) & 8);
                        return nz == 0 ? illegalC(c) : pack(ADDI, true, rdp, 2, 0, nz);
                    }
                    case 2:
                        return pack(LW, true, rdp, rs1p, 0, clwOffset(c));
                    case 3:
                        return pack(LD, true, rdp, rs1p, 0, cldOffset(c));
                    case 6:
                        return pack(SW, true, 0, rs1p, rdp, clwOffset(c));
                    case 7:
                        return pack(SD, true, 0, rs1p, rdp, cldOffset(c));
                    case 1:
                        return pack(FLD, true, 0, rs1p, rdp, cldOffset(c));
                    case 5:
                        return pack(FSD, true, 0, rs1p, rdp, cldOffset(c));
                    default: // 4 reserved
                        return illegalC(c);
                }
            }
            case 1 -> {
                switch (f3) {
                    case 0:
                        return pack(ADDI, true, rd, rd, 0, imm6);
                    case 1:
                        return rd == 0 ? illegalC(c) : pack(ADDIW, true, rd, rd, 0, imm6);
                    case 2:
                        return pack(ADDI, true, rd, 0, 0, imm6);
                    case 3: {
                        if (rd == 2) {
                            int nz = (((c << 19) >> 31) << 9) | ((c >>> 2) & 0x10) | ((c << 1) & 0x40)
                                    | ((c << 4) & 0x180) | ((c << 3) & 0x20);
                            return nz == 0 ? illegalC(c) : pack(ADDI, true, 2, 2, 0, nz);
                        }
                        return imm6 == 0 ? illegalC(c) : pack(LUI, true, rd, 0, 0, imm6 << 12);
                    }
                    case 4:
                        return miscAlu(c, rs1p, rdp, imm6, uimm6);
                    case 5:
                        return pack(JAL, true, 0, 0, 0, cjOffset(c));
                    case 6:
                        return pack(BEQ, true, 0, rs1p, 0, cbOffset(c));
                    default:
                        return pack(BNE, true, 0, rs1p, 0, cbOffset(c));
                }
            }
            case 2 -> {
                switch (f3) {
                    case 0:
                        return pack(SLLI, true, rd, rd, 0, uimm6);
                    case 2: {
                        int off = ((c >>> 7) & 0x20) | ((c >>> 2) & 0x1C) | ((c << 4) & 0xC0);
                        return rd == 0 ? illegalC(c) : pack(LW, true, rd, 2, 0, off);
                    }
                    case 3: {
                        int off = ((c >>> 7) & 0x20) | ((c >>> 2) & 0x18) | ((c << 4) & 0x1C0);
                        return rd == 0 ? illegalC(c) : pack(LD, true, rd, 2, 0, off);
                    }
                    case 4: {
                        boolean bit12 = (c & 0x1000) != 0;
                        if (!bit12) {
                            if (rs2 == 0) return rd == 0 ? illegalC(c) : pack(JALR, true, 0, rd, 0, 0);
                            return pack(ADD, true, rd, 0, rs2, 0);
                        }
                        if (rs2 == 0) {
                            return rd == 0 ? pack(EBREAK, true, 0, 0, 0, 0) : pack(JALR, true, 1, rd, 0, 0);
                        }
                        return pack(ADD, true, rd, rd, rs2, 0);
                    }
                    case 6: {
                        int off = ((c >>> 7) & 0x3C) | ((c >>> 1) & 0xC0);
                        return pack(SW, true, 0, 2, rs2, off);
                    }
                    case 7: {
                        int off = ((c >>> 7) & 0x38) | ((c >>> 1) & 0x1C0);
                        return pack(SD, true, 0, 2, rs2, off);
                    }
                    case 1: { // C.FLDSP: any f register, f0 included
                        int off = ((c >>> 7) & 0x20) | ((c >>> 2) & 0x18) | ((c << 4) & 0x1C0);
                        return pack(FLD, true, 0, 2, rd, off);
                    }
                    default: { // 5 C.FSDSP
                        int off = ((c >>> 7) & 0x38) | ((c >>> 1) & 0x1C0);
                        return pack(FSD, true, 0, 2, rs2, off);
                    }
                }
            }
            default -> throw new IllegalArgumentException("not a compressed instruction: " + Integer.toHexString(c));
        }
    }

    private static long miscAlu(int c, int rs1p, int rdp, int imm6, int uimm6) {
        switch ((c >>> 10) & 3) {
            case 0:
                return pack(SRLI, true, rs1p, rs1p, 0, uimm6);
            case 1:
                return pack(SRAI, true, rs1p, rs1p, 0, uimm6);
            case 2:
                return pack(ANDI, true, rs1p, rs1p, 0, imm6);
            default: {
                int sel = (c >>> 5) & 3;
                if ((c & 0x1000) == 0) {
                    int op = sel == 0 ? SUB : sel == 1 ? XOR : sel == 2 ? OR : AND;
                    return pack(op, true, rs1p, rs1p, rdp, 0);
                }
                if (sel == 0) return pack(SUBW, true, rs1p, rs1p, rdp, 0);
                if (sel == 1) return pack(ADDW, true, rs1p, rs1p, rdp, 0);
                return illegalC(c);
            }
        }
    }

    private static int clwOffset(int c) {
        return ((c >>> 7) & 0x38) | ((c >>> 4) & 4) | ((c << 1) & 0x40);
    }

    private static int cldOffset(int c) {
        return ((c >>> 7) & 0x38) | ((c << 1) & 0xC0);
    }

    private static int cjOffset(int c) {
        int off = ((c >>> 1) & 0x800) | ((c >>> 7) & 0x10) | ((c >>> 1) & 0x300) | ((c << 2) & 0x400)
                | ((c >>> 1) & 0x40) | ((c << 1) & 0x80) | ((c >>> 2) & 0xE) | ((c << 3) & 0x20);
        return (off << 20) >> 20;
    }

    private static int cbOffset(int c) {
        int off = ((c >>> 4) & 0x100) | ((c >>> 7) & 0x18) | ((c << 1) & 0xC0) | ((c >>> 2) & 6) | ((c << 3) & 0x20);
        return (off << 23) >> 23;
    }

    private static long illegalC(int c) {
        return pack(ILLEGAL, true, 0, 0, 0, c);
    }
}
