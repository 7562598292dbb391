package dev.vmtree.fuzz;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Draws the random items of a {@link DiffProgram}: RV64I/M ALU and shifts, lui/auipc, loads and
 * stores, AMOs and LR/SC pairs, compressed forms, fences, and forward branches and jumps that stay
 * inside the block (item k may only jump to items k+1 .. k+8, or to the end). All random choices
 * are made when an item is drawn, so replaying the items for either target gives the same code.
 * Never writes x9 or x31 (the scratch base registers); memory accesses stay inside the scratch
 * buffer, so the same program is legal in U-mode and S-mode alike. AMOs, LR/SC and compressed
 * accesses are naturally aligned; one plain load or store in eight is misaligned.
 */
final class RandomBlock {
    private static final String[] RR = {
        "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
        "addw", "subw", "sllw", "srlw", "sraw",
        "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
        "mulw", "divw", "divuw", "remw", "remuw"
    };
    private static final String[] RI = {"addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"};
    private static final String[] SHIFT = {"slli", "srli", "srai"};
    private static final String[] SHIFTW = {"slliw", "srliw", "sraiw"};
    private static final String[] AMO = {
        "amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"
    };
    private static final String[] BRANCH = {"beq", "bne", "blt", "bge", "bltu", "bgeu"};
    private static final String[] CA = {"c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"};
    /** Compressed 3-bit register fields reach x8..x15; x9 is reserved. */
    private static final int[] CREGS = {8, 10, 11, 12, 13, 14, 15};

    private static final int SCRATCH_LOW = DiffProgram.SCRATCH - 2048;           // offset from x31
    private static final int SCRATCH_HIGH = SCRATCH_LOW + DiffProgram.SCRATCH_SIZE;

    private final Random random;
    private final int length;

    RandomBlock(Random random, int length) {
        this.random = random;
        this.length = length;
    }

    /** Draws item k. */
    Consumer<RvAsm> item(int k) {
        int roll = random.nextInt(100);
        if (roll < 28) {
            String op = pick(RR);
            int rd = dest(), rs1 = source(), rs2 = source();
            return a -> a.op(op, rd, rs1, rs2);
        }
        if (roll < 40) {
            String op = pick(RI);
            int rd = dest(), rs1 = source(), imm = imm12();
            return a -> a.opImm(op, rd, rs1, imm);
        }
        if (roll < 46) {
            boolean word = random.nextBoolean();
            String op = pick(word ? SHIFTW : SHIFT);
            int rd = dest(), rs1 = source(), sh = random.nextInt(word ? 32 : 64);
            return a -> a.opImm(op, rd, rs1, sh);
        }
        if (roll < 49) {
            boolean upper = random.nextBoolean();
            int rd = dest(), imm = random.nextInt(1 << 20);
            return upper ? a -> a.lui(rd, imm) : a -> a.auipc(rd, imm);
        }
        if (roll < 58) {
            int f3 = random.nextInt(7);
            int rd = dest(), off = plainOffset(1 << (f3 & 3));
            return a -> a.load(f3, rd, 31, off);
        }
        if (roll < 65) {
            int f3 = random.nextInt(4);
            int rs2 = source(), off = plainOffset(1 << f3);
            return a -> a.store(f3, rs2, 31, off);
        }
        if (roll < 70) {
            return atomic();
        }
        if (roll < 86) {
            return compressed(k);
        }
        if (roll < 87) {
            return RvAsm::fence;
        }
        return control(k);
    }

    private Consumer<RvAsm> atomic() {
        boolean dword = random.nextBoolean();
        int tmp = dest(1), off = scratchOffset(dword ? 8 : 4);
        if (random.nextInt(4) == 0) {
            // lr then sc at once: the reservation is certainly held, both runners must succeed.
            int rd = destOtherThan(tmp), rs2 = source(), rdSc = dest();
            return a -> {
                a.opImm("addi", tmp, 31, off);
                a.amo("lr", dword, rd, 0, tmp);
                a.amo("sc", dword, rdSc, rs2, tmp);
            };
        }
        String op = pick(AMO);
        int rd = dest(), rs2 = source();
        return a -> {
            a.opImm("addi", tmp, 31, off);
            a.amo(op, dword, rd, rs2, tmp);
        };
    }

    private Consumer<RvAsm> compressed(int k) {
        int roll = random.nextInt(16);
        int imm6 = random.nextInt(64) - 32;
        switch (roll) {
            case 0: { int rd = dest(1); int imm = imm6 == 0 ? 1 : imm6; return a -> a.cAddi(rd, imm); }
            case 1: { int rd = dest(1); return a -> a.cAddiw(rd, imm6); }
            case 2: { int rd = dest(1); return a -> a.cLi(rd, imm6); }
            case 3: {
                int rd = dest(1);
                int r = rd == 2 ? 3 : rd;
                int imm = imm6 == 0 ? 5 : imm6;
                return a -> a.cLui(r, imm);
            }
            case 4: { int rd = dest(1); int sh = 1 + random.nextInt(63); return a -> a.cSlli(rd, sh); }
            case 5: { int rd = creg(); int sh = 1 + random.nextInt(63); return a -> a.cSrli(rd, sh); }
            case 6: { int rd = creg(); int sh = 1 + random.nextInt(63); return a -> a.cSrai(rd, sh); }
            case 7: { int rd = creg(); return a -> a.cAndi(rd, imm6); }
            case 8: { String op = pick(CA); int rd = creg(), rs = cregAny(); return a -> a.cArith(op, rd, rs); }
            case 9: { int rd = dest(1), rs = source(1); return a -> a.cMv(rd, rs); }
            case 10: { int rd = dest(1), rs = source(1); return a -> a.cAdd(rd, rs); }
            case 11: {
                boolean dword = random.nextBoolean();
                int rd = creg(), off = random.nextInt(dword ? 32 : 32) * (dword ? 8 : 4);
                return a -> a.cMem(false, dword, rd, 9, off);
            }
            case 12: {
                boolean dword = random.nextBoolean();
                int rs = cregAny(), off = random.nextInt(32) * (dword ? 8 : 4);
                return a -> a.cMem(true, dword, rs, 9, off);
            }
            case 13: { String t = forwardTarget(k); boolean nz = random.nextBoolean(); int rs = cregAny();
                       return a -> a.cBranch(nz, rs, t); }
            case 14: { String t = forwardTarget(k); return a -> a.cJ(t); }
            default: return RvAsm::cNop;
        }
    }

    private Consumer<RvAsm> control(int k) {
        String target = forwardTarget(k);
        int roll = random.nextInt(10);
        if (roll < 7) {
            String op = pick(BRANCH);
            int rs1 = source(), rs2 = source();
            return a -> a.branch(op, rs1, rs2, target);
        }
        int rd = dest();
        if (roll < 9) {
            return a -> a.jal(rd, target);
        }
        int tmp = dest(1);
        return a -> a.jalrTo(rd, tmp, target);
    }

    private String forwardTarget(int k) {
        return "L" + Math.min(length, k + 1 + random.nextInt(8));
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    /** Any destination but x9 and x31; x0 now and then (writes to it must vanish). */
    private int dest() {
        return random.nextInt(20) == 0 ? 0 : dest(1);
    }

    /** A destination in min..30, never x9. */
    private int dest(int min) {
        int r;
        do {
            r = min + random.nextInt(31 - min);
        } while (r == 9);
        return r;
    }

    private int destOtherThan(int avoid) {
        int r;
        do {
            r = dest();
        } while (r == avoid);
        return r;
    }

    /** A 12-bit signed immediate, biased towards the edges. */
    private int imm12() {
        return switch (random.nextInt(4)) {
            case 0 -> new int[] {0, 1, -1, 2047, -2048}[random.nextInt(5)];
            case 1 -> random.nextInt(32) - 16;
            default -> random.nextInt(4096) - 2048;
        };
    }

    private int source() {
        return random.nextInt(32);
    }

    private int source(int min) {
        return min + random.nextInt(32 - min);
    }

    private int creg() {
        return CREGS[random.nextInt(CREGS.length)];
    }

    private int cregAny() {
        return 8 + random.nextInt(8);
    }

    /**
     * Offset for a plain load or store: usually aligned, one in eight misaligned (vmtree performs
     * those in place, qemu-riscv64 too, and OpenSBI emulates them, so all runners agree).
     */
    private int plainOffset(int bytes) {
        if (bytes == 1 || random.nextInt(8) != 0) {
            return scratchOffset(bytes);
        }
        return SCRATCH_LOW + random.nextInt(SCRATCH_HIGH - SCRATCH_LOW - bytes + 1);
    }

    /** A naturally aligned offset from x31 for an access of this many bytes inside the scratch buffer. */
    private int scratchOffset(int bytes) {
        int slots = (SCRATCH_HIGH - SCRATCH_LOW) / bytes;
        return SCRATCH_LOW + random.nextInt(slots) * bytes;
    }
}
