package dev.vmtree.fuzz;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Draws the random items of a floating-point {@link DiffProgram}: every F and D instruction
 * (arithmetic, square roots, the four fused multiply-adds, sign injection, min/max, comparisons,
 * classification, conversions between formats and to and from integers, moves, loads and stores,
 * their compressed forms) in static and dynamic rounding modes, plus reads and writes of fflags,
 * frm and fcsr. Rounding-mode writes only ever set valid modes, so dynamic-mode instructions never
 * trap. Never writes x9 or x31; memory stays in the part of the scratch buffer below
 * {@link DiffProgram#FP_SAVE}, where the epilogue keeps the f registers.
 */
final class RandomFpBlock {
    private static final String[] FMT = {"s", "d"};
    private static final String[] RM = {"rne", "rtz", "rdn", "rup", "rmm", "", "", "dyn"};
    private static final int[] MODES = {0, 1, 2, 3, 4, 7, 7};

    private static final int SCRATCH_LOW = DiffProgram.SCRATCH - 2048;
    private static final int SCRATCH_HIGH = DiffProgram.FP_CORNER - 2048;
    private int corners;

    private final Random random;

    RandomFpBlock(Random random) {
        this.random = random;
    }

    Consumer<RvAsm> item(int k) {
        if (random.nextInt(5) == 0) {
            return corner();
        }
        int roll = random.nextInt(100);
        int fmt = random.nextInt(2);
        int rm = MODES[random.nextInt(MODES.length)];
        int fd = random.nextInt(32), fa = random.nextInt(32), fb = random.nextInt(32), fc = random.nextInt(32);
        String suffix = "." + FMT[fmt];
        String mode = rm == 0 && random.nextBoolean() ? "" : ", " + RM[rm];
        if (roll < 24) {
            int f5 = random.nextInt(4);
            String name = new String[] {"fadd", "fsub", "fmul", "fdiv"}[f5] + suffix;
            return a -> a.raw(op(f5, fmt, fb, fa, rm, fd), name + " " + f(fd, fa, fb) + mode);
        }
        if (roll < 28) {
            return a -> a.raw(op(0x0B, fmt, 0, fa, rm, fd), "fsqrt" + suffix + " f" + fd + ", f" + fa + mode);
        }
        if (roll < 40) {
            int kind = random.nextInt(4);
            int opcode = 0x43 + 4 * kind;
            String name = new String[] {"fmadd", "fmsub", "fnmsub", "fnmadd"}[kind] + suffix;
            return a -> a.raw(fc << 27 | fmt << 25 | fb << 20 | fa << 15 | rm << 12 | fd << 7 | opcode,
                    name + " " + f(fd, fa, fb) + ", f" + fc + mode);
        }
        if (roll < 46) {
            int f3 = random.nextInt(3);
            String name = new String[] {"fsgnj", "fsgnjn", "fsgnjx"}[f3] + suffix;
            return a -> a.raw(op(0x04, fmt, fb, fa, f3, fd), name + " " + f(fd, fa, fb));
        }
        if (roll < 51) {
            int f3 = random.nextInt(2);
            String name = (f3 == 0 ? "fmin" : "fmax") + suffix;
            return a -> a.raw(op(0x05, fmt, fb, fa, f3, fd), name + " " + f(fd, fa, fb));
        }
        if (roll < 55) {
            String name = fmt == 0 ? "fcvt.s.d" : "fcvt.d.s";
            return a -> a.raw(op(0x08, fmt, fmt ^ 1, fa, rm, fd), name + " f" + fd + ", f" + fa + mode);
        }
        int xd = dest();
        if (roll < 61) {
            int f3 = random.nextInt(3);
            String name = new String[] {"fle", "flt", "feq"}[f3] + suffix;
            return a -> a.raw(op(0x14, fmt, fb, fa, f3, xd), name + " " + RvAsm.REG[xd] + ", f" + fa + ", f" + fb);
        }
        if (roll < 68) {
            int kind = random.nextInt(4);
            String name = "fcvt." + new String[] {"w", "wu", "l", "lu"}[kind] + suffix;
            return a -> a.raw(op(0x18, fmt, kind, fa, rm, xd), name + " " + RvAsm.REG[xd] + ", f" + fa + mode);
        }
        int xs = random.nextInt(32);
        if (roll < 74) {
            int kind = random.nextInt(4);
            String name = "fcvt" + suffix + "." + new String[] {"w", "wu", "l", "lu"}[kind];
            return a -> a.raw(op(0x1A, fmt, kind, xs, rm, fd), name + " f" + fd + ", " + RvAsm.REG[xs] + mode);
        }
        if (roll < 77) {
            String name = fmt == 0 ? "fmv.x.w" : "fmv.x.d";
            return a -> a.raw(op(0x1C, fmt, 0, fa, 0, xd), name + " " + RvAsm.REG[xd] + ", f" + fa);
        }
        if (roll < 80) {
            String name = fmt == 0 ? "fmv.w.x" : "fmv.d.x";
            return a -> a.raw(op(0x1E, fmt, 0, xs, 0, fd), name + " f" + fd + ", " + RvAsm.REG[xs]);
        }
        if (roll < 83) {
            return a -> a.raw(op(0x1C, fmt, 0, fa, 1, xd), "fclass" + suffix + " " + RvAsm.REG[xd] + ", f" + fa);
        }
        if (roll < 90) {
            boolean store = random.nextBoolean();
            int bytes = fmt == 0 ? 4 : 8;
            int off = offset(bytes);
            int f3 = fmt == 0 ? 2 : 3;
            String name = (store ? "fs" : "fl") + (fmt == 0 ? "w" : "d");
            return store ? a -> a.raw(RvAsm.s(off, fa, 31, f3, 0x27), name + " f" + fa + ", " + off + "(t6)")
                         : a -> a.raw(RvAsm.i(off, 31, f3, fd, 0x07), name + " f" + fd + ", " + off + "(t6)");
        }
        if (roll < 93) {
            boolean store = random.nextBoolean();
            int reg = 8 + random.nextInt(8);
            int off = random.nextInt(32) * 8;     // c.fld / c.fsd off x9, the scratch base
            int bits = (store ? 5 : 1) << 13 | ((off >> 3) & 7) << 10 | 1 << 7 | ((off >> 6) & 3) << 5 | (reg - 8) << 2;
            return a -> a.raw16(bits, (store ? "c.fsd f" : "c.fld f") + reg + ", " + off + "(s1)");
        }
        if (roll < 97) {
            int which = random.nextInt(4);
            int imm = random.nextInt(32);
            return switch (which) {
                case 0 -> a -> a.raw(csr(0x001, 5, imm, xd), "csrrwi " + RvAsm.REG[xd] + ", fflags, " + imm);
                case 1 -> a -> a.raw(csr(0x002, 5, imm % 5, xd), "csrrwi " + RvAsm.REG[xd] + ", frm, " + imm % 5);
                case 2 -> a -> a.raw(csr(0x003, 2, 0, xd), "frcsr " + RvAsm.REG[xd]);
                default -> a -> a.raw(csr(0x001, 7, imm, xd), "csrrci " + RvAsm.REG[xd] + ", fflags, " + imm);
            };
        }
        int off = offset(8);                       // an integer from scratch for the conversions
        return a -> a.load(3, xd, 31, off);
    }

    /**
     * One operation on two or three values straight from the edge table (ties, halfway cases, limits),
     * in a random mode, its result kept in the next corner slot so later items cannot hide it.
     */
    private Consumer<RvAsm> corner() {
        int fmt = random.nextInt(2);
        int rm = random.nextInt(5);
        int ia = random.nextInt(FpValues.TABLE), ib = random.nextInt(FpValues.TABLE), ic = random.nextInt(FpValues.TABLE);
        int tmp = destNotZero(), fa = random.nextInt(32), fb = random.nextInt(32), fc = random.nextInt(32), fd = random.nextInt(32);
        int kind = random.nextInt(8);
        int kindInt = random.nextInt(4);
        if (random.nextBoolean()) {                     // a boundary pair, in any mode
            int p = random.nextInt(FpValues.PAIRS.length);
            long op = FpValues.PAIRS[p][0];
            ia = 2 * p;
            ib = 2 * p + 1;
            kind = (int) (op & 15) == 5 ? 5 : (int) (op & 3);
            fmt = (op & 0x10) != 0 ? 0 : 1;
            if (kind == 5) {
                fmt = 0;                                // fcvt.s.d narrows the double
            }
        }
        int fmtUsed = fmt, kindUsed = kind, iaUsed = ia, ibUsed = ib;
        int slot = DiffProgram.FP_CORNER - 2048 + 8 * (corners++ % 32);   // result; its fflags 256 bytes on
        String s = "." + FMT[fmtUsed];
        return a -> {
            loadConstant(a, tmp, fa, iaUsed);
            loadConstant(a, tmp, fb, ibUsed);
            loadConstant(a, tmp, fc, ic);
            switch (kindUsed) {
                case 0, 1, 2, 3 -> a.raw(op(kindUsed, fmtUsed, fb, fa, rm, fd), "corner f" + kindUsed + s + " " + f(fd, fa, fb));
                case 4 -> a.raw(fc << 27 | fmtUsed << 25 | fb << 20 | fa << 15 | rm << 12 | fd << 7 | 0x43,
                        "corner fmadd" + s + " " + f(fd, fa, fb) + ", f" + fc);
                case 5 -> a.raw(op(0x08, fmtUsed, fmtUsed ^ 1, fa, rm, fd), "corner fcvt" + s + " f" + fd + ", f" + fa);
                case 6 -> a.raw(op(0x0B, fmtUsed, 0, fa, rm, fd), "corner fsqrt" + s + " f" + fd + ", f" + fa);
                default -> {
                    a.raw(op(0x18, fmtUsed, kindInt, fa, rm, tmp), "corner fcvt.int" + s + " " + RvAsm.REG[tmp] + ", f" + fa);
                    a.raw(op(0x1E, 1, 0, tmp, 0, fd), "fmv.d.x f" + fd + ", " + RvAsm.REG[tmp]);
                }
            }
            a.raw(RvAsm.s(slot, fd, 31, 3, 0x27), "fsd f" + fd + ", " + slot + "(t6)");
            a.raw(0x001 << 20 | 2 << 12 | tmp << 7 | 0x73, "frflags " + RvAsm.REG[tmp]);
            a.raw(RvAsm.s(slot + 256, tmp, 31, 3, 0x23), "sd " + RvAsm.REG[tmp] + ", " + (slot + 256) + "(t6)");
        };
    }

    private static void loadConstant(RvAsm a, int tmp, int freg, int index) {
        a.laAbsolute(tmp, DiffProgram.DATA + DiffProgram.FP_TABLE + 8L * index);
        a.raw(RvAsm.i(0, tmp, 3, freg, 0x07), "fld f" + freg + ", 0(" + RvAsm.REG[tmp] + ")");
    }

    private static int op(int funct5, int fmt, int rs2, int rs1, int rm, int rd) {
        return RvAsm.r(funct5 << 2 | fmt, rs2, rs1, rm, rd, 0x53);
    }

    private static int csr(int number, int f3, int rs1, int rd) {
        return number << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73;
    }

    private static String f(int d, int a, int b) {
        return "f" + d + ", f" + a + ", f" + b;
    }

    private int destNotZero() {
        int r;
        do {
            r = dest();
        } while (r == 0);
        return r;
    }

    private int dest() {
        int r;
        do {
            r = random.nextInt(31);
        } while (r == 9);
        return r;
    }

    /** Mostly aligned offsets from x31 inside the FP part of the scratch buffer, one in eight misaligned. */
    private int offset(int bytes) {
        if (random.nextInt(8) == 0) {
            return SCRATCH_LOW + random.nextInt(SCRATCH_HIGH - SCRATCH_LOW - bytes + 1);
        }
        return SCRATCH_LOW + random.nextInt((SCRATCH_HIGH - SCRATCH_LOW) / bytes) * bytes;
    }
}
