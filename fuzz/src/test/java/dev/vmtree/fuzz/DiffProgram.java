package dev.vmtree.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * One seeded random RV64IMAC program for differential testing, built for two runners that must
 * print the same thing: Linux user mode (qemu-riscv64: write and exit syscalls) and an SBI
 * machine ({@code vmtree exec}, or QEMU + OpenSBI: legacy putchar and SRST shutdown).
 *
 * <p>Layout, identical for both targets so that every address-derived value (auipc, links, base
 * registers) is too: code at {@link #CODE}, data at {@link #DATA}. The data page holds a save area
 * of 32 doublewords (initial and final x0..x31), a scratch buffer, and the output text. The
 * prologue loads x1..x30 from the save area and points x31 at DATA + 2048 and x9 at the scratch
 * buffer; the random block never writes x9 or x31 and only branches forward inside itself; its
 * memory accesses stay aligned inside the scratch buffer. The epilogue stores x1..x31, converts
 * them and the scratch buffer to hex lines between {@link #BEGIN} and {@link #END}, and prints.
 *
 * <p>Even seeds run the SBI variant with Sv39 paging on (one 1 GiB identity page from a root table
 * at {@link #ROOT}), so every fetch and access goes through the core's TLB; the Linux variant has
 * the same number of nops in its place, keeping both layouts identical.
 */
final class DiffProgram {
    static final long CODE = 0x8020_0000L;
    static final long DATA = 0x8021_0000L;
    static final int SCRATCH = 256;
    static final int SCRATCH_SIZE = 3584;
    static final int OUT = 4096;
    static final int ROOT = 0x3000;
    /** Floating-point programs: initial f0..f31 (in the root table's page, past the entries in use). */
    static final int FP_INIT = ROOT + 2048;
    /** Floating-point programs: where the epilogue stores f0..f31 and fcsr, the end of the scratch buffer. */
    static final int FP_SAVE = SCRATCH + SCRATCH_SIZE - 264;
    /** Floating-point programs: 32 result and 32 fflags slots below FP_SAVE where corner items keep what they did. */
    static final int FP_CORNER = FP_SAVE - 512;
    /** Floating-point programs: the table of edge and tie values corner items take operands from. */
    static final int FP_TABLE = FP_INIT + 256;
    static final String BEGIN = "<<dump\n";
    static final String END = "dump>>\n";
    static final int DUMP_WORDS = 31 + SCRATCH_SIZE / 8;
    static final int OUT_LENGTH = BEGIN.length() + DUMP_WORDS * 17 + END.length();

    private static final int BASE = 31;          // x31 = DATA + 2048
    private static final int CBASE = 9;          // x9 = scratch buffer, base for compressed accesses
    private static final long BASE_VALUE = DATA + 2048;
    private static final int SCRATCH_FROM_BASE = SCRATCH - 2048;

    enum Target { LINUX_USER, SBI }

    private final long seed;
    private final boolean floating;
    private final List<Consumer<RvAsm>> items = new ArrayList<>();
    private final byte[] data = new byte[ROOT + 4096];
    private int roundingMode;

    private DiffProgram(long seed, boolean floating) {
        this.seed = seed;
        this.floating = floating;
    }

    long seed() {
        return seed;
    }

    /** Whether the SBI variant turns on Sv39 before the block. */
    boolean paging() {
        return seed % 2 == 0;
    }

    /** Generates a program of {@code length} random items (an item is one instruction or a short idiom). */
    static DiffProgram generate(long seed, int length) {
        return generate(seed, length, false);
    }

    /**
     * A floating-point program: f0..f31 start from interesting values (zeros, subnormals, infinities,
     * quiet and signalling NaNs, values near integer limits, unboxed singles), frm from the seed (every
     * mode in turn), items from {@link RandomFpBlock}; the dump adds f0..f31 and fcsr (in x5).
     */
    static DiffProgram generateFloat(long seed, int length) {
        return generate(seed, length, true);
    }

    private static DiffProgram generate(long seed, int length, boolean floating) {
        DiffProgram p = new DiffProgram(seed, floating);
        Random random = new Random(seed);
        ByteBuffer d = ByteBuffer.wrap(p.data).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 1; r < 31; r++) {
            d.putLong(8 * r, interesting(random));
        }
        for (int k = 0; k < SCRATCH_SIZE / 8; k++) {
            d.putLong(SCRATCH + 8 * k, random.nextInt(4) == 0 ? interesting(random) : random.nextLong());
        }
        d.put(OUT, BEGIN.getBytes(StandardCharsets.US_ASCII));
        d.put(OUT + OUT_LENGTH - END.length(), END.getBytes(StandardCharsets.US_ASCII));
        d.putLong(ROOT + 2 * 8, (0x8000_0000L >>> 12) << 10 | 0xcf);   // V R W X A D: 1 GiB at 2 GiB
        if (floating) {
            for (int k = 0; k < SCRATCH_SIZE / 8; k++) {
                if (random.nextBoolean()) {
                    d.putLong(SCRATCH + 8 * k, FpValues.interesting(random));
                }
            }
            for (int r = 0; r < 32; r++) {
                d.putLong(FP_INIT + 8 * r, FpValues.interesting(random));
            }
            long[] table = FpValues.table();
            for (int k = 0; k < table.length; k++) {
                d.putLong(FP_TABLE + 8 * k, table[k]);
            }
            p.roundingMode = (int) Math.floorMod(seed, 5);
            RandomFpBlock block = new RandomFpBlock(random);
            for (int k = 0; k < length; k++) {
                p.items.add(block.item(k));
            }
            return p;
        }
        RandomBlock block = new RandomBlock(random, length);
        for (int k = 0; k < length; k++) {
            p.items.add(block.item(k));
        }
        return p;
    }

    /** Turns on the FPU (S-mode only: Linux has done it for user mode), loads f0..f31 and sets frm. */
    private void floatingPrologue(RvAsm a, Target target) {
        if (target == Target.SBI) {
            a.lui(5, 2);                                   // sstatus.FS = Initial
            a.raw(0x100 << 20 | 5 << 15 | 2 << 12 | 0x73, "csrs sstatus, t0");
        } else {
            a.opImm("addi", 0, 0, 0);
            a.opImm("addi", 0, 0, 0);
        }
        a.laAbsolute(5, DATA + FP_INIT);
        for (int r = 0; r < 32; r++) {
            a.raw(RvAsm.i(8 * r, 5, 3, r, 0x07), "fld f" + r + ", " + 8 * r + "(t0)");
        }
        a.raw(0x002 << 20 | roundingMode << 15 | 5 << 12 | 0x73, "fsrmi " + roundingMode);
    }

    /** fcsr into x5, f0..f31 into the end of the scratch buffer, before the dump. */
    private static void floatingEpilogue(RvAsm a) {
        a.raw(0x003 << 20 | 2 << 12 | 5 << 7 | 0x73, "frcsr t0");
        for (int r = 0; r < 32; r++) {
            int off = FP_SAVE - 2048 + 8 * r;
            a.raw(RvAsm.s(off, r, BASE, 3, 0x27), "fsd f" + r + ", " + off + "(t6)");
        }
    }

    static long interesting(Random random) {
        return switch (random.nextInt(8)) {
            case 0 -> random.nextInt(64) - 32;
            case 1 -> Long.MIN_VALUE + random.nextInt(4) - 2;
            case 2 -> 0x8000_0000L + random.nextInt(4) - 2;
            case 3 -> 0xffff_ffff_8000_0000L + random.nextInt(4) - 2;
            case 4 -> random.nextInt();
            default -> random.nextLong();
        };
    }

    /** The code, from the prologue to the target's output routine. */
    RvAsm code(Target target) {
        RvAsm a = new RvAsm(CODE);
        if (paging() && target == Target.SBI) {
            a.laAbsolute(5, DATA + ROOT);
            a.opImm("srli", 5, 5, 12);
            a.opImm("addi", 6, 0, 8);
            a.opImm("slli", 6, 6, 60);
            a.op("or", 5, 5, 6);
            a.csrw(0x180, "satp", 5);
            a.sfenceVma();
        } else if (paging()) {
            for (int k = 0; k < 8; k++) {
                a.opImm("addi", 0, 0, 0);
            }
        }
        if (floating) {
            floatingPrologue(a, target);
        }
        a.laAbsolute(BASE, BASE_VALUE);
        for (int r = 1; r < 31; r++) {
            if (r != CBASE) {
                a.load(3, r, BASE, 8 * r - 2048);
            }
        }
        a.opImm("addi", CBASE, BASE, SCRATCH_FROM_BASE);
        for (int k = 0; k < items.size(); k++) {
            a.label("L" + k);
            items.get(k).accept(a);
        }
        a.label("L" + items.size());
        if (floating) {
            floatingEpilogue(a);
        }
        dump(a);
        switch (target) {
            case LINUX_USER -> {
                li(a, 17, 64);                    // write(1, out, length)
                li(a, 10, 1);
                a.laAbsolute(11, DATA + OUT);
                li(a, 12, OUT_LENGTH);
                a.ecall();
                li(a, 17, 93);                    // exit(0)
                li(a, 10, 0);
                a.ecall();
            }
            case SBI -> {
                a.laAbsolute(8, DATA + OUT);      // legacy console putchar, one byte per call
                li(a, 18, OUT_LENGTH);
                a.label("putc");
                a.load(4, 10, 8, 0);
                li(a, 17, 1);
                a.ecall();
                a.opImm("addi", 8, 8, 1);
                a.opImm("addi", 18, 18, -1);
                a.branch("bne", 18, 0, "putc");
                li(a, 17, 0x53525354);            // SRST system_reset(shutdown, no reason)
                li(a, 16, 0);
                li(a, 10, 0);
                li(a, 11, 0);
                a.ecall();
                a.label("hang");
                a.jal(0, "hang");
            }
        }
        return a;
    }

    /** Stores x1..x31 and writes every saved register and scratch doubleword as 16 hex digits + newline. */
    private static void dump(RvAsm a) {
        for (int r = 1; r < 32; r++) {
            a.store(3, r, BASE, 8 * r - 2048);
        }
        a.laAbsolute(10, DATA + OUT + BEGIN.length());   // a0: output cursor
        a.laAbsolute(11, DATA + 8);                       // a1: x1's slot; scratch follows the save area
        li(a, 12, DUMP_WORDS);
        a.label("word");
        a.load(3, 13, 11, 0);
        li(a, 14, 60);
        a.label("nibble");
        a.op("srl", 15, 13, 14);
        a.opImm("andi", 15, 15, 15);
        a.opImm("slti", 16, 15, 10);
        a.opImm("addi", 15, 15, '0');
        a.branch("bne", 16, 0, "digit");
        a.opImm("addi", 15, 15, 'a' - '0' - 10);
        a.label("digit");
        a.store(0, 15, 10, 0);
        a.opImm("addi", 10, 10, 1);
        a.opImm("addi", 14, 14, -4);
        a.branch("bge", 14, 0, "nibble");
        li(a, 15, '\n');
        a.store(0, 15, 10, 0);
        a.opImm("addi", 10, 10, 1);
        a.opImm("addi", 11, 11, 8);
        a.opImm("addi", 12, 12, -1);
        a.branch("bne", 12, 0, "word");
    }

    /** Loads a 32-bit constant: lui + addiw, or addi alone when it fits 12 bits. */
    static void li(RvAsm a, int rd, int value) {
        if (value >= -2048 && value < 2048) {
            a.opImm("addi", rd, 0, value);
            return;
        }
        int hi = (value + 0x800) >> 12;
        a.lui(rd, hi);
        a.opImm("addiw", rd, rd, value - (hi << 12));
    }

    byte[] elf(Target target) {
        byte[] code = code(target).assemble();
        return Elf64.write(CODE, new Elf64.Segment(CODE, code, 5), new Elf64.Segment(DATA, data, 6));
    }

    /** The seed and the generated code as text, for a failure message. */
    String describe() {
        StringBuilder s = new StringBuilder("seed ").append(seed).append(":\n");
        for (String line : code(Target.SBI).listing()) {
            s.append("  ").append(line).append('\n');
        }
        return s.toString();
    }

    /** The dump between the markers, with carriage returns removed; null when there is none. */
    static String extractDump(String output) {
        String text = output.replace("\r", "");
        int from = text.indexOf(BEGIN);
        int to = text.indexOf(END, Math.max(from, 0));
        return from < 0 || to < 0 ? null : text.substring(from + BEGIN.length(), to);
    }

    /** Names the registers and scratch offsets whose lines differ, for a failure message. */
    static String differences(String expected, String actual) {
        String[] e = expected.split("\n", -1);
        String[] g = actual.split("\n", -1);
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < Math.max(e.length, g.length); k++) {
            String want = k < e.length ? e[k] : "<none>";
            String got = k < g.length ? g[k] : "<none>";
            if (!want.equals(got)) {
                int at = 8 * (k - 31) + SCRATCH;
                String where = k < 31 ? "x" + (k + 1) + " (" + RvAsm.REG[k + 1] + ")"
                        : at >= FP_SAVE && at < FP_SAVE + 256 ? "scratch+" + (8 * (k - 31)) + " (f" + (at - FP_SAVE) / 8
                                + " in floating-point programs)"
                        : "scratch+" + (8 * (k - 31));
                s.append("  ").append(where).append(": qemu ").append(want).append(", vmtree ").append(got).append('\n');
            }
        }
        return s.toString();
    }
}
