package dev.vmtree.fuzz;

import java.util.Random;

/** Floating-point bit patterns worth testing: the edges of every class, in both formats. */
final class FpValues {
    private FpValues() {}

    private static final long[] DOUBLES = {
        0L, 0x8000_0000_0000_0000L,                                   // ±0
        0x7FF0_0000_0000_0000L, 0xFFF0_0000_0000_0000L,               // ±inf
        0x7FF8_0000_0000_0000L, 0x7FF8_0000_0000_1234L, 0xFFF8_0000_0000_0000L, // quiet NaNs
        0x7FF0_0000_0000_0001L, 0x7FF4_0000_0000_0000L,               // signalling NaNs
        1L, 0x8000_0000_0000_0001L, 0x000F_FFFF_FFFF_FFFFL, 0x0010_0000_0000_0000L, // subnormal edges, least normal
        0x7FEF_FFFF_FFFF_FFFFL, 0xFFEF_FFFF_FFFF_FFFFL,               // ±max
        Double.doubleToRawLongBits(1.0), Double.doubleToRawLongBits(-1.0), Double.doubleToRawLongBits(0.5),
        Double.doubleToRawLongBits(1.5), Double.doubleToRawLongBits(2.5), Double.doubleToRawLongBits(-2.5),
        Double.doubleToRawLongBits(1.0 + Math.ulp(1.0)), Double.doubleToRawLongBits(0x1p31),
        Double.doubleToRawLongBits(0x1p31 - 0.5), Double.doubleToRawLongBits(-0x1p31 - 0.5),
        Double.doubleToRawLongBits(0x1p32 - 0.5), Double.doubleToRawLongBits(0x1p32),
        Double.doubleToRawLongBits(0x1p63), Double.doubleToRawLongBits(-0x1p63), Double.doubleToRawLongBits(0x1p64),
        Double.doubleToRawLongBits(Math.nextDown(0x1p63)), Double.doubleToRawLongBits(Math.nextDown(0x1p64)),
        // halves of an ulp: sums with 1.0, 1.5 or 3.0 are exact ties, and 1 + 2^-24 is a tie when narrowed
        Double.doubleToRawLongBits(0x1p-53), Double.doubleToRawLongBits(-0x1p-53), Double.doubleToRawLongBits(0x3p-53),
        Double.doubleToRawLongBits(1 + 0x1p-24), Double.doubleToRawLongBits(-1 - 0x3p-24),
        Double.doubleToRawLongBits(3.0), Double.doubleToRawLongBits(0x1p-1074 * 3),
    };

    private static final int[] SINGLES = {
        0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7FC0_1234, 0x7F80_0001, 0x7FA0_0000,
        1, 0x8000_0001, 0x007F_FFFF, 0x0080_0000, 0x7F7F_FFFF, 0xFF7F_FFFF,
        Float.floatToRawIntBits(1.0f), Float.floatToRawIntBits(-1.0f), Float.floatToRawIntBits(2.5f),
        Float.floatToRawIntBits(1.0f + Math.ulp(1.0f)), Float.floatToRawIntBits(0x1p31f),
        Float.floatToRawIntBits(Math.nextDown(0x1p31f)), Float.floatToRawIntBits(0x1p32f),
        Float.floatToRawIntBits(0x1p63f), Float.floatToRawIntBits(-0x1p63f), Float.floatToRawIntBits(0x1p64f),
        Float.floatToRawIntBits(0x1p-24f), Float.floatToRawIntBits(-0x1p-24f), Float.floatToRawIntBits(0x3p-24f),
        Float.floatToRawIntBits(3.0f), Float.floatToRawIntBits(1.5f), 3,
    };

    /** Operands whose sums and differences are exact ties in one format or the other. */
    private static final long[] TIES = {
        Double.doubleToRawLongBits(1.0), Double.doubleToRawLongBits(-1.0), Double.doubleToRawLongBits(1.5),
        Double.doubleToRawLongBits(0x1p-53), Double.doubleToRawLongBits(-0x1p-53), Double.doubleToRawLongBits(0x3p-53),
        Double.doubleToRawLongBits(1 + 0x1p-24), Double.doubleToRawLongBits(1 + 0x3p-24),
        0xFFFF_FFFF_0000_0000L | Float.floatToRawIntBits(1.0f), 0xFFFF_FFFF_0000_0000L | Float.floatToRawIntBits(1.5f),
        0xFFFF_FFFF_0000_0000L | Float.floatToRawIntBits(0x1p-24f),
        0xFFFF_FFFF_0000_0000L | (Float.floatToRawIntBits(-0x3p-24f) & 0xFFFF_FFFFL),
    };

    /**
     * The table corner items read their operands from: every edge and tie value of both formats
     * (singles NaN-boxed), {@value #TABLE} entries.
     */
    static final int TABLE = 64;

    static long[] table() {
        long[] t = new long[TABLE];
        int n = 0;
        for (long[] pair : PAIRS) {
            t[n++] = pair[1];
            t[n++] = pair[2];
        }
        for (long v : TIES) {
            t[n++] = v;
        }
        for (long v : DOUBLES) {
            if (n < TABLE - 12) {
                t[n++] = v;
            }
        }
        for (int v : SINGLES) {
            if (n < TABLE) {
                t[n++] = 0xFFFF_FFFF_0000_0000L | (v & 0xFFFF_FFFFL);
            }
        }
        return t;
    }

    private static long box(float f) {
        return 0xFFFF_FFFF_0000_0000L | (Float.floatToRawIntBits(f) & 0xFFFF_FFFFL);
    }

    private static long bits(double d) {
        return Double.doubleToRawLongBits(d);
    }

    /**
     * Operand pairs on the boundaries where rounding modes and flags part ways: {operation, a, b}
     * with operation 0 add, 1 sub, 2 mul, 3 div, 5 convert (a only), format in bit 4 (set: single).
     * Their operands open the table: pair k's are entries 2k and 2k + 1.
     */
    static final long[][] PAIRS = {
        {2, 0x000F_FFFF_FFFF_FFFFL, bits(1 + 0x1p-52)},          // largest subnormal × (1 + ulp): tiny only before rounding
        {3, bits(Double.MIN_NORMAL), bits(1 + 0x1p-52)},          // just below the least normal
        {2, bits(Double.MIN_NORMAL), bits(1 - 0x1p-53)},
        {0, bits(1.0), bits(0x1p-53)},                           // exact tie
        {1, bits(1.0), bits(0x1p-54)},                           // below 1: a tie at the finer spacing
        {0, bits(Double.MAX_VALUE), bits(0x1p970)},              // the overflow threshold is a tie
        {2, bits(Double.MAX_VALUE), bits(1 + 0x1p-52)},          // overflow in every mode but toward zero
        {0, bits(-Double.MAX_VALUE), bits(-0x1p970)},
        {5, bits(0x1p-126 - 0x1p-150), 0},                       // narrows to the least normal single, or not
        {5, bits(1 + 0x1p-24), 0},                               // narrowing tie
        {5, bits(0x1p128 - 0x1p103), 0},                         // narrowing overflow threshold
        {0x12, box(Float.intBitsToFloat(0x007F_FFFF)), box(1 + 0x1p-23f)}, // singles: tiny only before rounding
        {0x10, box(1.0f), box(0x1p-24f)},                        // single tie
        {0x10, box(Float.MAX_VALUE), box(0x1p103f)},             // single overflow threshold
        {0x13, box(Float.MIN_NORMAL), box(1 + 0x1p-23f)},
        {0x12, box(0x1p-100f), box(0x1p-49f)},                   // an exact subnormal product: no flags
    };

    /** A double, a NaN-boxed single, or now and then a single that is not properly boxed. */
    static long interesting(Random random) {
        return switch (random.nextInt(14)) {
            case 12, 13 -> TIES[random.nextInt(TIES.length)];
            case 0, 1, 2 -> DOUBLES[random.nextInt(DOUBLES.length)];
            case 3 -> Double.doubleToRawLongBits(random.nextGaussian() * Math.pow(2, random.nextInt(200) - 100));
            case 4 -> random.nextLong();
            case 5, 6, 7 -> 0xFFFF_FFFF_0000_0000L | (SINGLES[random.nextInt(SINGLES.length)] & 0xFFFF_FFFFL);
            case 8 -> 0xFFFF_FFFF_0000_0000L | (Float.floatToRawIntBits(
                    (float) (random.nextGaussian() * Math.pow(2, random.nextInt(60) - 30))) & 0xFFFF_FFFFL);
            case 9 -> 0xFFFF_FFFF_0000_0000L | (random.nextInt() & 0xFFFF_FFFFL);
            case 10 -> random.nextInt() & 0xFFFF_FFFFL;                  // unboxed: reads as the canonical NaN
            default -> DOUBLES[random.nextInt(DOUBLES.length)] + random.nextInt(5) - 2;
        };
    }
}
