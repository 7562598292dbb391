package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.SoftFloat.D;
import static dev.vmtree.core.cpu.SoftFloat.DZ;
import static dev.vmtree.core.cpu.SoftFloat.NV;
import static dev.vmtree.core.cpu.SoftFloat.NX;
import static dev.vmtree.core.cpu.SoftFloat.OF;
import static dev.vmtree.core.cpu.SoftFloat.RDN;
import static dev.vmtree.core.cpu.SoftFloat.RMM;
import static dev.vmtree.core.cpu.SoftFloat.RNE;
import static dev.vmtree.core.cpu.SoftFloat.RTZ;
import static dev.vmtree.core.cpu.SoftFloat.RUP;
import static dev.vmtree.core.cpu.SoftFloat.S;
import static dev.vmtree.core.cpu.SoftFloat.UF;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * SoftFloat against two independent references: Java's own IEEE arithmetic for round-to-nearest-even
 * results, and exact BigDecimal arithmetic for every rounding mode (the result must be the nearest
 * representable value on the mode's side of the exact one) and the inexact flag. The differential
 * test against qemu-riscv64 (fuzz module) covers the rest of the flags and the instruction layer.
 */
class SoftFloatTest {
    private final SoftFloat sf = new SoftFloat();
    private final Random random = new Random(42);

    private long randomDouble() {
        return switch (random.nextInt(10)) {
            case 0 -> Double.doubleToRawLongBits(random.nextGaussian());
            case 1 -> random.nextLong() & 0x800F_FFFF_FFFF_FFFFL;                    // subnormal
            case 2 -> (random.nextLong() & 0x8000_0000_0000_0000L) | 0x7FF0_0000_0000_0000L
                    | (random.nextInt(3) == 0 ? random.nextLong() & 0xF_FFFF_FFFF_FFFFL : 0); // inf, NaN
            case 3 -> Double.doubleToRawLongBits(1.0 + random.nextInt(8)) + random.nextInt(5) - 2; // near small ints
            case 4 -> (random.nextLong() & 0x8000_0000_0000_0000L) | ((long) (1023 + 960 + random.nextInt(64)) << 52)
                    | (random.nextLong() & 0xF_FFFF_FFFF_FFFFL);                     // near overflow
            case 5 -> (random.nextLong() & 0x8000_0000_0000_0000L) | ((long) random.nextInt(60) << 52)
                    | (random.nextLong() & 0xF_FFFF_FFFF_FFFFL);                     // near underflow
            default -> random.nextLong();
        };
    }

    private long randomFloat() {
        long d = randomDouble();
        return switch (random.nextInt(4)) {
            case 0 -> Float.floatToRawIntBits((float) Double.longBitsToDouble(d)) & 0xFFFF_FFFFL;
            case 1 -> random.nextInt() & 0x807F_FFFFL;                               // subnormal
            default -> random.nextInt() & 0xFFFF_FFFFL;
        };
    }

    private static double d(long bits) {
        return Double.longBitsToDouble(bits);
    }

    private static long bits(double v) {
        return Double.isNaN(v) ? SoftFloat.CANONICAL_NAN_D : Double.doubleToRawLongBits(v);
    }

    private static float fl(long bits) {
        return Float.intBitsToFloat((int) bits);
    }

    private static long bits(float v) {
        return Float.isNaN(v) ? SoftFloat.CANONICAL_NAN_S : Float.floatToRawIntBits(v) & 0xFFFF_FFFFL;
    }

    @Test
    void roundToNearestEvenAgreesWithJavaForDoubles() {
        for (int i = 0; i < 60_000; i++) {
            long a = randomDouble(), b = randomDouble(), c = randomDouble();
            assertThat(sf.add(a, b, RNE, D)).as("%x + %x", a, b).isEqualTo(bits(d(a) + d(b)));
            assertThat(sf.sub(a, b, RNE, D)).as("%x - %x", a, b).isEqualTo(bits(d(a) - d(b)));
            assertThat(sf.mul(a, b, RNE, D)).as("%x * %x", a, b).isEqualTo(bits(d(a) * d(b)));
            assertThat(sf.div(a, b, RNE, D)).as("%x / %x", a, b).isEqualTo(bits(d(a) / d(b)));
            assertThat(sf.sqrt(a, RNE, D)).as("sqrt %x", a).isEqualTo(bits(Math.sqrt(d(a))));
            assertThat(sf.fma(a, b, c, false, false, RNE, D)).as("fma %x %x %x", a, b, c)
                    .isEqualTo(bits(Math.fma(d(a), d(b), d(c))));
            assertThat(sf.convert(a, D, S, RNE)).as("(float) %x", a).isEqualTo(bits((float) d(a)));
        }
    }

    @Test
    void roundToNearestEvenAgreesWithJavaForSingles() {
        for (int i = 0; i < 60_000; i++) {
            long a = randomFloat(), b = randomFloat(), c = randomFloat();
            assertThat(sf.add(a, b, RNE, S)).as("%x + %x", a, b).isEqualTo(bits(fl(a) + fl(b)));
            assertThat(sf.mul(a, b, RNE, S)).as("%x * %x", a, b).isEqualTo(bits(fl(a) * fl(b)));
            assertThat(sf.div(a, b, RNE, S)).as("%x / %x", a, b).isEqualTo(bits(fl(a) / fl(b)));
            assertThat(sf.sqrt(a, RNE, S)).as("sqrt %x", a).isEqualTo(bits((float) Math.sqrt(fl(a))));
            assertThat(sf.fma(a, b, c, false, false, RNE, S)).as("fma %x %x %x", a, b, c)
                    .isEqualTo(bits(Math.fma(fl(a), fl(b), fl(c))));
            assertThat(sf.convert(a, S, D, RNE)).as("(double) %x", a).isEqualTo(bits((double) fl(a)));
        }
    }

    /** The exact value of a finite double. */
    private static BigDecimal exact(long bits) {
        return new BigDecimal(d(bits));
    }

    /**
     * In every directed mode the result brackets the exact value correctly: RDN is at or below it,
     * RUP at or above, RTZ toward zero, and they differ (by one value) exactly when NX is raised.
     */
    @Test
    void directedModesBracketTheExactResult() {
        for (int i = 0; i < 50_000; i++) {
            long a = randomDouble(), b = randomDouble(), c = randomDouble();
            if (!finite(a) || !finite(b) || !finite(c)) {
                continue;
            }
            int op = i % 3;
            BigDecimal x = switch (op) {
                case 0 -> exact(a).add(exact(b));
                case 1 -> exact(a).multiply(exact(b));
                default -> exact(a).multiply(exact(b)).add(exact(c));
            };
            long[] r = new long[5];
            int[] flags = new int[5];
            for (int rm = 0; rm < 5; rm++) {
                sf.flags = 0;
                r[rm] = switch (op) {
                    case 0 -> sf.add(a, b, rm, D);
                    case 1 -> sf.mul(a, b, rm, D);
                    default -> sf.fma(a, b, c, false, false, rm, D);
                };
                flags[rm] = sf.flags;
            }
            if (!finite(r[RDN]) || !finite(r[RUP])) {
                continue; // overflow: covered by the flag tests below
            }
            BigDecimal down = exact(r[RDN]), upv = exact(r[RUP]);
            assertThat(down.compareTo(x)).as("RDN %x op%d %x %x", a, op, b, c).isLessThanOrEqualTo(0);
            assertThat(upv.compareTo(x)).as("RUP %x op%d %x %x", a, op, b, c).isGreaterThanOrEqualTo(0);
            boolean inexact = down.compareTo(x) != 0;
            assertThat((flags[RNE] & NX) != 0).as("NX %x op%d %x %x", a, op, b, c).isEqualTo(inexact);
            if (inexact) {
                assertThat(Math.nextUp(d(r[RDN]))).as("adjacent %x op%d %x", a, op, b).isEqualTo(d(r[RUP]));
                assertThat(r[RTZ]).isEqualTo(x.signum() < 0 ? r[RUP] : r[RDN]);
                BigDecimal mid = down.add(upv).divide(BigDecimal.valueOf(2));
                int side = x.compareTo(mid);
                long nearest = side < 0 ? r[RDN] : side > 0 ? r[RUP]
                        : (r[RDN] & 1) == 0 ? r[RDN] : r[RUP];
                assertThat(r[RNE]).as("RNE %x op%d %x %x", a, op, b, c).isEqualTo(nearest);
                long away = side < 0 ? r[RDN] : side > 0 ? r[RUP] : x.signum() < 0 ? r[RDN] : r[RUP];
                assertThat(r[RMM]).as("RMM %x op%d %x %x", a, op, b, c).isEqualTo(away);
            } else {
                for (int rm = 0; rm < 5; rm++) {
                    assertThat(r[rm]).isEqualTo(r[RDN]);
                }
            }
        }
    }

    private static boolean finite(long bits) {
        return ((bits >>> 52) & 0x7FF) != 0x7FF;
    }

    @Test
    void flagsForTheClassicCases() {
        check(sf.div(bits(1.0), bits(0.0), RNE, D), bits(Double.POSITIVE_INFINITY), DZ);
        check(sf.div(bits(0.0), bits(0.0), RNE, D), SoftFloat.CANONICAL_NAN_D, NV);
        check(sf.sqrt(bits(-1.0), RNE, D), SoftFloat.CANONICAL_NAN_D, NV);
        check(sf.add(bits(Double.MAX_VALUE), bits(Double.MAX_VALUE), RNE, D), bits(Double.POSITIVE_INFINITY), OF | NX);
        check(sf.add(bits(Double.MAX_VALUE), bits(Double.MAX_VALUE), RTZ, D), bits(Double.MAX_VALUE), OF | NX);
        check(sf.add(bits(-Double.MAX_VALUE), bits(-Double.MAX_VALUE), RUP, D), bits(-Double.MAX_VALUE), OF | NX);
        check(sf.mul(bits(Double.MIN_VALUE), bits(0.5), RNE, D), bits(0.0), UF | NX);
        check(sf.mul(bits(Double.MIN_VALUE), bits(0.5), RUP, D), bits(Double.MIN_VALUE), UF | NX);
        // Tiny before rounding but not after: rounds up to the least normal, so no underflow.
        long justBelow = Double.doubleToRawLongBits(Double.MIN_NORMAL) - 1;           // largest subnormal
        check(sf.mul(justBelow, bits(1.0 + Math.ulp(1.0)), RUP, D), bits(Double.MIN_NORMAL), NX);
        // Exact subnormal results raise nothing.
        check(sf.mul(bits(Double.MIN_VALUE * 4), bits(0.5), RNE, D), bits(Double.MIN_VALUE * 2), 0);
        // Signalling NaNs raise NV; quiet ones do not; every NaN result is canonical.
        long snan = 0x7FF0_0000_0000_0001L, qnan = 0x7FF8_0000_0000_1234L;
        check(sf.add(snan, bits(1.0), RNE, D), SoftFloat.CANONICAL_NAN_D, NV);
        check(sf.add(qnan, bits(1.0), RNE, D), SoftFloat.CANONICAL_NAN_D, 0);
        check(sf.fma(bits(Double.POSITIVE_INFINITY), bits(0.0), qnan, false, false, RNE, D), SoftFloat.CANONICAL_NAN_D, NV);
        // x - x is +0, except -0 when rounding down.
        check(sf.sub(bits(3.0), bits(3.0), RNE, D), bits(0.0), 0);
        check(sf.sub(bits(3.0), bits(3.0), RDN, D), bits(-0.0), 0);
        // 1 + 2^-53 is a tie: even keeps 1, away from zero goes up.
        check(sf.add(bits(1.0), bits(0x1p-53), RNE, D), bits(1.0), NX);
        check(sf.add(bits(1.0), bits(0x1p-53), RMM, D), bits(1.0 + 0x1p-52), NX);
    }

    @Test
    void minMaxComparisonsAndClassificationFollowRiscV() {
        long snan = 0x7FF0_0000_0000_0001L, qnan = SoftFloat.CANONICAL_NAN_D;
        check(sf.minMax(bits(-0.0), bits(0.0), false, D), bits(-0.0), 0);
        check(sf.minMax(bits(-0.0), bits(0.0), true, D), bits(0.0), 0);
        check(sf.minMax(qnan, bits(2.0), false, D), bits(2.0), 0);
        check(sf.minMax(snan, bits(2.0), true, D), bits(2.0), NV);
        check(sf.minMax(qnan, qnan, true, D), SoftFloat.CANONICAL_NAN_D, 0);
        sf.flags = 0;
        assertThat(sf.eq(qnan, qnan, D)).isFalse();
        assertThat(sf.flags).isZero();
        assertThat(sf.lt(qnan, bits(1.0), D)).isFalse();
        assertThat(sf.flags).isEqualTo(NV);
        assertThat(sf.le(bits(-0.0), bits(0.0), D)).isTrue();
        assertThat(SoftFloat.classify(bits(Double.NEGATIVE_INFINITY), D)).isEqualTo(1);
        assertThat(SoftFloat.classify(bits(-0.0), D)).isEqualTo(1 << 3);
        assertThat(SoftFloat.classify(bits(Double.MIN_VALUE), D)).isEqualTo(1 << 5);
        assertThat(SoftFloat.classify(snan, D)).isEqualTo(1 << 8);
        assertThat(SoftFloat.classify(qnan, D)).isEqualTo(1 << 9);
    }

    @Test
    void conversionsToIntegersSaturate() {
        sf.flags = 0;
        assertThat(sf.toInt(SoftFloat.CANONICAL_NAN_D, SoftFloat.W, RNE, D)).isEqualTo(Integer.MAX_VALUE);
        assertThat(sf.toInt(SoftFloat.CANONICAL_NAN_D, SoftFloat.WU, RNE, D)).isEqualTo(-1L);
        assertThat(sf.toInt(bits(Double.NEGATIVE_INFINITY), SoftFloat.L, RNE, D)).isEqualTo(Long.MIN_VALUE);
        assertThat(sf.toInt(bits(-1.0), SoftFloat.LU, RNE, D)).isZero();
        assertThat(sf.flags).isEqualTo(NV);
        sf.flags = 0;
        assertThat(sf.toInt(bits(-0.4), SoftFloat.WU, RNE, D)).isZero();
        assertThat(sf.flags).as("rounds to 0: inexact, not invalid").isEqualTo(NX);
        sf.flags = 0;
        assertThat(sf.toInt(bits(2147483647.5), SoftFloat.W, RNE, D)).isEqualTo(Integer.MAX_VALUE);
        assertThat(sf.flags).as("rounds to 2^31: out of range").isEqualTo(NV);
        sf.flags = 0;
        assertThat(sf.toInt(bits(2147483647.5), SoftFloat.W, RTZ, D)).isEqualTo(Integer.MAX_VALUE);
        assertThat(sf.flags).isEqualTo(NX);
        sf.flags = 0;
        assertThat(sf.toInt(bits(-9223372036854775808.0), SoftFloat.L, RNE, D)).isEqualTo(Long.MIN_VALUE);
        assertThat(sf.toInt(bits(4294967295.0), SoftFloat.WU, RNE, D)).as("sign-extended").isEqualTo(-1L);
        assertThat(sf.toInt(bits(2.5), SoftFloat.L, RNE, D)).isEqualTo(2);
        assertThat(sf.toInt(bits(2.5), SoftFloat.L, RMM, D)).isEqualTo(3);
        assertThat(sf.toInt(bits(-2.5), SoftFloat.L, RDN, D)).isEqualTo(-3);
        assertThat(sf.toInt(bits(-2.5), SoftFloat.L, RUP, D)).isEqualTo(-2);
        assertThat(sf.flags).isEqualTo(NX);
        assertThat(sf.fromInt(Long.MIN_VALUE, SoftFloat.L, RNE, D)).isEqualTo(bits(-0x1p63));
        assertThat(sf.fromInt(-1L, SoftFloat.LU, RNE, D)).isEqualTo(bits(0x1p64));
        assertThat(sf.fromInt(-1L, SoftFloat.LU, RTZ, D)).isEqualTo(bits(Math.nextDown(0x1p64)));
        assertThat(sf.fromInt(0xFFFF_FFFFL, SoftFloat.W, RNE, S)).isEqualTo(bits(-1.0f));
        assertThat(sf.fromInt(0xFFFF_FFFFL, SoftFloat.WU, RNE, S)).isEqualTo(bits(0x1p32f));
    }

    private void check(long result, long expected, int flags) {
        assertThat(Long.toHexString(result)).isEqualTo(Long.toHexString(expected));
        assertThat(sf.flags).as("flags").isEqualTo(flags);
        sf.flags = 0;
    }
}
