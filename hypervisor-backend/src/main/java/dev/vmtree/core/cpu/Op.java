package dev.vmtree.core.cpu;

/**
 * Operation numbers of pre-decoded instructions and the packing of a decoded instruction into one
 * {@code long}, the unit of the per-page decode cache.
 *
 * <pre>
 *  bits  0..7   operation (one of the constants below; 0 = not decoded yet)
 *  bit   8      1 when the instruction is compressed (2 bytes), else 4 bytes
 *  bits  9..14  rd, with x0 mapped to 32 (a sink register nobody reads), so writes need no check
 *  bits 15..19  rs1
 *  bits 20..24  rs2
 *  bits 32..63  immediate, sign-extended int (CSR number, shift amount, AMO function, or the raw
 *               instruction bits for ILLEGAL)
 * </pre>
 *
 * Compressed instructions expand to the same operations. Floating-point loads and stores keep their
 * f register in the rs2 field (f0 is a real register, so it must not map to the sink); the other
 * floating-point operations keep the raw instruction in the immediate and are decoded further by
 * {@link Fpu}.
 */
public final class Op {
    private Op() {}

    public static final int UNDECODED = 0;
    public static final int ILLEGAL = 1;
    /**
     * Fetching the upper half of a 4-byte instruction that straddles a page failed; imm = cause,
     * the faulting address waits in the hart. Never stored in the decode cache.
     */
    public static final int FETCH_FAULT = 2;
    /**
     * Sentinel in the two slots after a decoded page: the pc left the page (or a control transfer
     * targets another page), so the interpreter translates and fetches again.
     */
    public static final int PAGE_END = 80;
    /**
     * A debugger's breakpoint at this pc (MemorySystem#setBreakpoints): the instruction does not
     * run, the machine stops with StopReason.BREAKPOINT. Never stored in the decode cache.
     */
    public static final int BREAKPOINT = 81;

    public static final int LUI = 3, AUIPC = 4, JAL = 5, JALR = 6;
    public static final int BEQ = 7, BNE = 8, BLT = 9, BGE = 10, BLTU = 11, BGEU = 12;
    public static final int LB = 13, LH = 14, LW = 15, LD = 16, LBU = 17, LHU = 18, LWU = 19;
    public static final int SB = 20, SH = 21, SW = 22, SD = 23;
    public static final int ADDI = 24, SLTI = 25, SLTIU = 26, XORI = 27, ORI = 28, ANDI = 29;
    public static final int SLLI = 30, SRLI = 31, SRAI = 32;
    public static final int ADD = 33, SUB = 34, SLL = 35, SLT = 36, SLTU = 37, XOR = 38, SRL = 39, SRA = 40,
            OR = 41, AND = 42;
    public static final int ADDIW = 43, SLLIW = 44, SRLIW = 45, SRAIW = 46;
    public static final int ADDW = 47, SUBW = 48, SLLW = 49, SRLW = 50, SRAW = 51;
    public static final int MUL = 52, MULH = 53, MULHSU = 54, MULHU = 55, DIV = 56, DIVU = 57, REM = 58,
            REMU = 59;
    public static final int MULW = 60, DIVW = 61, DIVUW = 62, REMW = 63, REMUW = 64;
    /** All A-extension operations; imm = funct5 | (log2 width) << 8. */
    public static final int AMO = 65;
    public static final int FENCE = 66, FENCE_I = 67;
    public static final int ECALL = 68, EBREAK = 69, MRET = 70, SRET = 71, WFI = 72, SFENCE_VMA = 73;
    /** CSR operations; imm = CSR number, rs1 = source register or 5-bit immediate. */
    public static final int CSRRW = 74, CSRRS = 75, CSRRC = 76, CSRRWI = 77, CSRRSI = 78, CSRRCI = 79;
    /** FLW/FLD: rs1 = base, rs2 = destination f register, imm = offset. FSW/FSD: rs2 = source f register. */
    public static final int FLW = 82, FLD = 83, FSW = 84, FSD = 85;
    /** OP-FP (imm = the instruction; rd is the x destination where there is one) and the four fused multiply-adds. */
    public static final int FP_OP = 86, FP_FMA = 87;
    /**
     * The head of a translated block ({@link Translator}): imm = the region's number. The
     * instruction it replaced is kept by the region. Never produced by the decoder.
     */
    public static final int ENTER = 88;
    /**
     * Flag bit in a decoded slot, ignored by the interpreter: a translated region already covers
     * this instruction, or none can start at it, so the translator need not count entries here.
     */
    public static final long COVERED = 1L << 31;
    /** C.ADDI with rd = rs1 and so on expand to the base ops; MV expands to ADD with rs1 = x0. */
    public static final int COUNT = 89;

    static long pack(int op, boolean compressed, int rd, int rs1, int rs2, int imm) {
        int r = rd == 0 ? 32 : rd;
        return (op & 0xFFL) | (compressed ? 0x100L : 0) | ((long) r << 9) | ((long) rs1 << 15) | ((long) rs2 << 20)
                | ((long) imm << 32);
    }

    public static int op(long d) {
        return (int) d & 0xFF;
    }

    public static int length(long d) {
        return 4 - (((int) d >>> 7) & 2);
    }

    public static int rd(long d) {
        return ((int) d >>> 9) & 63;
    }

    public static int rs1(long d) {
        return ((int) d >>> 15) & 31;
    }

    public static int rs2(long d) {
        return ((int) d >>> 20) & 31;
    }

    public static int imm(long d) {
        return (int) (d >> 32);
    }
}
