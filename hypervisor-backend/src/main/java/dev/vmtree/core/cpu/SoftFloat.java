package dev.vmtree.core.cpu;

/**
 * IEEE 754-2008 binary32 and binary64 arithmetic exactly as the RISC-V F and D extensions define it:
 * every rounding mode, the five accrued exception flags (tininess detected after rounding), the
 * canonical NaN for every NaN result, RISC-V's fmin/fmax and saturating conversions.
 *
 * <p>Java's own arithmetic rounds to nearest-even and raises no flags, so nothing here trusts it for
 * results: each operation computes the exact result as an integer significand (with a sticky bit for
 * what lies beyond it) and one routine, {@link #round}, rounds and packs it for every mode. The only
 * hardware operations used are exact ones — integer arithmetic, and for square roots {@link Math#sqrt}
 * (correctly rounded by specification) with an exact {@link Math#fma} residual telling which side of
 * it the true root lies.
 *
 * <p>Values are raw bits: a single in the low 32 bits of a long (already unboxed), a double in all 64.
 * Format {@code f} is {@link #S} or {@link #D}. Flags accumulate in {@link #flags}; the caller clears
 * them before an instruction and accrues them into fcsr after it. One instance per hart; not
 * thread-safe; allocation-free.
 */
final class SoftFloat {
    static final int NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;
    static final int RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
    static final int S = 0, D = 1;

    static final long CANONICAL_NAN_S = 0x7FC0_0000L, CANONICAL_NAN_D = 0x7FF8_0000_0000_0000L;

    /** Exception flags raised since the caller last cleared this field. */
    int flags;

    // 128-bit scratch for fma (hi:lo), kept in fields so no operation allocates.
    private long hi, lo;

    // ---- format parameters ---------------------------------------------------------------------

    private static int fracBits(int f) {
        return f == S ? 23 : 52;
    }

    private static int bias(int f) {
        return f == S ? 127 : 1023;
    }

    private static int expMax(int f) {
        return f == S ? 0xFF : 0x7FF;
    }

    private static int signShift(int f) {
        return f == S ? 31 : 63;
    }

    static long canonicalNaN(int f) {
        return f == S ? CANONICAL_NAN_S : CANONICAL_NAN_D;
    }

    static boolean sign(long a, int f) {
        return ((a >>> signShift(f)) & 1) != 0;
    }

    private static long signBit(int f) {
        return 1L << signShift(f);
    }

    private static int exp(long a, int f) {
        return (int) (a >>> fracBits(f)) & expMax(f);
    }

    private static long frac(long a, int f) {
        return a & ((1L << fracBits(f)) - 1);
    }

    static boolean isNaN(long a, int f) {
        return exp(a, f) == expMax(f) && frac(a, f) != 0;
    }

    static boolean isSignalingNaN(long a, int f) {
        return isNaN(a, f) && ((a >>> (fracBits(f) - 1)) & 1) == 0;
    }

    private static boolean isInf(long a, int f) {
        return exp(a, f) == expMax(f) && frac(a, f) == 0;
    }

    private static boolean isZero(long a, int f) {
        return (a & (signBit(f) - 1)) == 0;
    }

    private static long inf(boolean neg, int f) {
        return (neg ? signBit(f) : 0) | ((long) expMax(f) << fracBits(f));
    }

    private static long zero(boolean neg, int f) {
        return neg ? signBit(f) : 0;
    }

    /** The integer significand of a finite nonzero value (implicit bit included). */
    private static long sig(long a, int f) {
        return exp(a, f) == 0 ? frac(a, f) : frac(a, f) | (1L << fracBits(f));
    }

    /** The exponent of the significand's least significant bit: value = sig × 2^lsbExp. */
    private static int lsbExp(long a, int f) {
        int e = exp(a, f);
        return (e == 0 ? 1 : e) - bias(f) - fracBits(f);
    }

    /** Raises NV for a signalling NaN among the operands and returns the canonical NaN. */
    private long nan(long a, long b, int f) {
        if (isSignalingNaN(a, f) || isSignalingNaN(b, f)) {
            flags |= NV;
        }
        return canonicalNaN(f);
    }

    private long invalid(int f) {
        flags |= NV;
        return canonicalNaN(f);
    }

    private static long shiftRightJam(long v, int n) {
        if (n <= 0) {
            return v;
        }
        if (n >= 63) {
            return v != 0 ? 1 : 0;
        }
        return (v >>> n) | ((v & ((1L << n) - 1)) != 0 ? 1 : 0);
    }

    // ---- the one rounding routine --------------------------------------------------------------

    /**
     * Rounds {@code ±sig × 2^exp} to format {@code f} in mode {@code rm} and packs it, raising NX,
     * UF (tiny after rounding and inexact) and OF. {@code sig} is positive and below 2^63; bits lost
     * before the call are OR-ed into its bit 0 ("sticky"), in which case its leading bit must be high
     * enough (bit 54 or above) that normalizing keeps the sticky bit below the rounding position.
     */
    long round(boolean neg, int exp, long sig, int rm, int f) {
        int p = fracBits(f) + 1;
        int lz = Long.numberOfLeadingZeros(sig) - 1;
        sig <<= lz;                      // leading 1 at bit 62
        int be = exp - lz + 62 + bias(f); // biased exponent of the leading bit
        int shift = 63 - p;              // bits below the kept ones
        long mask = (1L << shift) - 1;
        long half = 1L << (shift - 1);
        long inc = switch (rm) {
            case RNE, RMM -> half;
            case RDN -> neg ? mask : 0;
            case RUP -> neg ? 0 : mask;
            default -> 0; // RTZ
        };
        boolean tiny = false;
        if (be <= 0) {
            // Tiny after rounding: would rounding to p bits with an unbounded exponent stay below 2^emin?
            tiny = be < 0 || sig + inc >= 0;
            sig = shiftRightJam(sig, 1 - be);
            be = 1; // packing below adds the carry into the exponent field: subnormal, or the least normal
        }
        long roundBits = sig & mask;
        long kept = (sig + inc) >>> shift;
        if (rm == RNE && roundBits == half) {
            kept &= ~1L;
        }
        if (roundBits != 0) {
            flags |= NX;
            if (tiny) {
                flags |= UF;
            }
        }
        long mag = ((long) (be - 1) << fracBits(f)) + kept;
        if (be >= expMax(f) || mag >= (long) expMax(f) << fracBits(f)) {
            flags |= OF | NX;
            boolean toInf = rm == RNE || rm == RMM || (rm == RDN && neg) || (rm == RUP && !neg);
            return toInf ? inf(neg, f) : (neg ? signBit(f) : 0) | (((long) expMax(f) << fracBits(f)) - 1);
        }
        return (neg ? signBit(f) : 0) | mag;
    }

    // ---- arithmetic ----------------------------------------------------------------------------

    long add(long a, long b, int rm, int f) {
        if (isNaN(a, f) || isNaN(b, f)) {
            return nan(a, b, f);
        }
        boolean sa = sign(a, f), sb = sign(b, f);
        if (isInf(a, f)) {
            return isInf(b, f) && sa != sb ? invalid(f) : a;
        }
        if (isInf(b, f)) {
            return b;
        }
        if (isZero(a, f)) {
            return isZero(b, f) ? (sa == sb ? a : zero(rm == RDN, f)) : b;
        }
        if (isZero(b, f)) {
            return a;
        }
        int up = 61 - fracBits(f);       // leading bit of a normal significand at 61
        long ma = sig(a, f) << up, mb = sig(b, f) << up;
        int ea = lsbExp(a, f) - up, eb = lsbExp(b, f) - up;
        if (ea < eb || (ea == eb && mb > ma)) { // make a the larger in magnitude
            long t = ma; ma = mb; mb = t;
            int te = ea; ea = eb; eb = te;
            boolean ts = sa; sa = sb; sb = ts;
        }
        mb = shiftRightJam(mb, ea - eb);
        if (sa == sb) {
            return round(sa, ea, ma + mb, rm, f);
        }
        long diff = ma - mb;
        if (diff == 0) {
            return zero(rm == RDN, f);
        }
        return round(sa, ea, diff, rm, f);
    }

    long sub(long a, long b, int rm, int f) {
        return add(a, isNaN(b, f) ? b : b ^ signBit(f), rm, f);
    }

    long mul(long a, long b, int rm, int f) {
        if (isNaN(a, f) || isNaN(b, f)) {
            return nan(a, b, f);
        }
        boolean neg = sign(a, f) != sign(b, f);
        if (isInf(a, f) || isInf(b, f)) {
            return isZero(a, f) || isZero(b, f) ? invalid(f) : inf(neg, f);
        }
        if (isZero(a, f) || isZero(b, f)) {
            return zero(neg, f);
        }
        long ma = sig(a, f), mb = sig(b, f);
        int la = Long.numberOfLeadingZeros(ma), lb = Long.numberOfLeadingZeros(mb);
        ma <<= la;
        mb <<= lb;
        long h = Math.unsignedMultiplyHigh(ma, mb), l = ma * mb;
        long s = (h >>> 1) | (h & 1) | (l != 0 ? 1 : 0);
        return round(neg, lsbExp(a, f) - la + lsbExp(b, f) - lb + 65, s, rm, f);
    }

    long div(long a, long b, int rm, int f) {
        if (isNaN(a, f) || isNaN(b, f)) {
            return nan(a, b, f);
        }
        boolean neg = sign(a, f) != sign(b, f);
        if (isInf(a, f)) {
            return isInf(b, f) ? invalid(f) : inf(neg, f);
        }
        if (isInf(b, f)) {
            return zero(neg, f);
        }
        if (isZero(b, f)) {
            if (isZero(a, f)) {
                return invalid(f);
            }
            flags |= DZ;
            return inf(neg, f);
        }
        if (isZero(a, f)) {
            return zero(neg, f);
        }
        long ma = sig(a, f), mb = sig(b, f);
        int la = Long.numberOfLeadingZeros(ma) - 2, lb = Long.numberOfLeadingZeros(mb) - 2;
        ma <<= la;                      // both with their leading bit at 61
        mb <<= lb;
        long q = 0, rem = ma;
        for (int i = 0; i < 63; i++) {  // restoring division: q = floor(ma · 2^62 / mb)
            q <<= 1;
            if (rem >= mb) {
                rem -= mb;
                q |= 1;
            }
            rem <<= 1;
        }
        q |= rem != 0 ? 1 : 0;
        return round(neg, (lsbExp(a, f) - la) - (lsbExp(b, f) - lb) - 62, q, rm, f);
    }

    long sqrt(long a, int rm, int f) {
        if (isNaN(a, f)) {
            return nan(a, a, f);
        }
        if (isZero(a, f)) {
            return a;
        }
        if (sign(a, f)) {
            return invalid(f);
        }
        if (isInf(a, f)) {
            return a;
        }
        long m = sig(a, f);
        int lz = Long.numberOfLeadingZeros(m) - 11;
        m <<= lz;                                 // leading bit at 52, a double's significand
        int e = lsbExp(a, f) - lz + 52;           // exponent of the leading bit
        int odd = e & 1;
        double x = Double.longBitsToDouble(((1023L + odd) << 52) | (m & ((1L << 52) - 1))); // in [1, 4)
        double r = Math.sqrt(x);                  // correctly rounded
        double residual = Math.fma(-r, r, x);     // exact: x - r²
        long rs = (Double.doubleToRawLongBits(r) & ((1L << 52) - 1)) | (1L << 52);
        long s = (rs << 2) + (residual > 0 ? 1 : residual < 0 ? -1 : 0);
        return round(false, ((e - odd) >> 1) - 54, s, rm, f);
    }

    /**
     * Fused multiply-add with one rounding: {@code (±a·b) ± c} with the product negated when
     * {@code negProduct} and the addend when {@code negAddend} (fmadd, fmsub, fnmsub, fnmadd).
     */
    long fma(long a, long b, long c, boolean negProduct, boolean negAddend, int rm, int f) {
        boolean prodInvalid = (isInf(a, f) && isZero(b, f)) || (isZero(a, f) && isInf(b, f));
        if (isNaN(a, f) || isNaN(b, f) || isNaN(c, f)) {
            if (isSignalingNaN(a, f) || isSignalingNaN(b, f) || isSignalingNaN(c, f) || prodInvalid) {
                flags |= NV;
            }
            return canonicalNaN(f);
        }
        if (prodInvalid) {
            return invalid(f);
        }
        boolean sp = sign(a, f) != sign(b, f) != negProduct;
        boolean sc = sign(c, f) != negAddend;
        if (isInf(a, f) || isInf(b, f)) {
            return isInf(c, f) && sc != sp ? invalid(f) : inf(sp, f);
        }
        if (isInf(c, f)) {
            return inf(sc, f);
        }
        boolean prodZero = isZero(a, f) || isZero(b, f);
        if (prodZero) {
            if (isZero(c, f)) {
                return sp == sc ? zero(sp, f) : zero(rm == RDN, f);
            }
            return (c & (signBit(f) - 1)) | (sc ? signBit(f) : 0);
        }
        long ma = sig(a, f), mb = sig(b, f);
        int la = Long.numberOfLeadingZeros(ma), lb = Long.numberOfLeadingZeros(mb);
        ma <<= la;
        mb <<= lb;
        // Product as 128 bits with its leading bit at 124 or 125: value = P × 2^ep.
        long ph = Math.unsignedMultiplyHigh(ma, mb), pl = ma * mb;
        pl = (pl >>> 2) | (ph << 62);
        ph >>>= 2;
        int ep = lsbExp(a, f) - la + lsbExp(b, f) - lb + 2;
        if (isZero(c, f)) {
            return roundWide(sp, ep, ph, pl, rm, f);
        }
        long mc = sig(c, f);
        int lc = Long.numberOfLeadingZeros(mc);
        mc <<= lc;
        // Addend as 128 bits with its leading bit at 125: value = C × 2^ec.
        long ch = mc >>> 2, cl = mc << 62;
        int ec = lsbExp(c, f) - lc - 62;
        // Align the one with the smaller exponent to the other (jamming what falls off).
        boolean big = ep > ec || (ep == ec && Long.compareUnsigned(ph, ch) > 0)
                || (ep == ec && ph == ch && Long.compareUnsigned(pl, cl) >= 0);
        long bh, bl, sh, sl;
        int e;
        boolean sBig, sSmall;
        if (big) {
            bh = ph; bl = pl; sh = ch; sl = cl; e = ep; sBig = sp; sSmall = sc;
            shiftRightJam128(sh, sl, ep - ec);
        } else {
            bh = ch; bl = cl; sh = ph; sl = pl; e = ec; sBig = sc; sSmall = sp;
            shiftRightJam128(sh, sl, ec - ep);
        }
        sh = hi;
        sl = lo;
        long rh, rl;
        boolean neg = sBig;
        if (sBig == sSmall) {
            rl = bl + sl;
            rh = bh + sh + (Long.compareUnsigned(rl, bl) < 0 ? 1 : 0);
        } else {
            rl = bl - sl;
            rh = bh - sh - (Long.compareUnsigned(bl, sl) < 0 ? 1 : 0);
            if (rh < 0) {                  // the aligned small one was larger after all (equal exponents)
                rl = -rl;
                rh = ~rh + (rl == 0 ? 1 : 0);
                neg = !neg;
            }
            if (rh == 0 && rl == 0) {
                return zero(rm == RDN, f);
            }
        }
        return roundWide(neg, e, rh, rl, rm, f);
    }

    /** Rounds a positive 128-bit significand {@code h:l × 2^exp} (leading bit at most 126). */
    private long roundWide(boolean neg, int exp, long h, long l, int rm, int f) {
        int lz = h != 0 ? Long.numberOfLeadingZeros(h) : 64 + Long.numberOfLeadingZeros(l);
        int k = lz - 1;                    // shift left so the leading bit is at 126 (bit 62 of h)
        if (k >= 64) {
            h = l << (k - 64);
            l = 0;
        } else if (k > 0) {
            h = (h << k) | (l >>> (64 - k));
            l <<= k;
        }
        return round(neg, exp - k + 64, h | (l != 0 ? 1 : 0), rm, f);
    }

    /** Shifts {@code h:l} right by n with sticky into bit 0; the result is left in {@link #hi}:{@link #lo}. */
    private void shiftRightJam128(long h, long l, int n) {
        if (n <= 0) {
            hi = h;
            lo = l;
        } else if (n < 64) {
            boolean sticky = (l << (64 - n)) != 0;
            lo = (l >>> n) | (h << (64 - n)) | (sticky ? 1 : 0);
            hi = h >>> n;
        } else if (n < 128) {
            boolean sticky = l != 0 || (n > 64 && (h << (128 - n)) != 0);
            lo = (n == 64 ? h : h >>> (n - 64)) | (sticky ? 1 : 0);
            hi = 0;
        } else {
            lo = (h | l) != 0 ? 1 : 0;
            hi = 0;
        }
    }

    // ---- comparisons, min/max, sign injection, classification ----------------------------------

    /** a &lt; b for non-NaN values (−0 == +0). */
    private static boolean less(long a, long b, int f) {
        boolean sa = sign(a, f), sb = sign(b, f);
        long mag = signBit(f) - 1;
        if (sa != sb) {
            return sa && ((a | b) & mag) != 0;
        }
        return sa ? (a & mag) > (b & mag) : (a & mag) < (b & mag);
    }

    private static boolean equal(long a, long b, int f) {
        return a == b || ((a | b) & (signBit(f) - 1)) == 0;
    }

    /** feq: quiet (NV only for signalling NaNs). */
    boolean eq(long a, long b, int f) {
        if (isNaN(a, f) || isNaN(b, f)) {
            nan(a, b, f);
            return false;
        }
        return equal(a, b, f);
    }

    /** flt: signalling (NV for any NaN). */
    boolean lt(long a, long b, int f) {
        if (isNaN(a, f) || isNaN(b, f)) {
            flags |= NV;
            return false;
        }
        return less(a, b, f);
    }

    /** fle: signalling (NV for any NaN). */
    boolean le(long a, long b, int f) {
        if (isNaN(a, f) || isNaN(b, f)) {
            flags |= NV;
            return false;
        }
        return less(a, b, f) || equal(a, b, f);
    }

    /** fmin / fmax (IEEE 754-2019 minimumNumber/maximumNumber, −0 below +0). */
    long minMax(long a, long b, boolean max, int f) {
        boolean na = isNaN(a, f), nb = isNaN(b, f);
        if (na || nb) {
            if (isSignalingNaN(a, f) || isSignalingNaN(b, f)) {
                flags |= NV;
            }
            return na && nb ? canonicalNaN(f) : na ? b : a;
        }
        if (isZero(a, f) && isZero(b, f)) {
            boolean neg = max ? sign(a, f) && sign(b, f) : sign(a, f) || sign(b, f);
            return zero(neg, f);
        }
        return less(a, b, f) != max ? a : b;
    }

    /** fclass: a one-hot mask of the value's class. */
    static long classify(long a, int f) {
        boolean neg = sign(a, f);
        int e = exp(a, f);
        long m = frac(a, f);
        int bit;
        if (e == expMax(f)) {
            bit = m == 0 ? (neg ? 0 : 7) : isSignalingNaN(a, f) ? 8 : 9;
        } else if (e == 0) {
            bit = m == 0 ? (neg ? 3 : 4) : (neg ? 2 : 5);
        } else {
            bit = neg ? 1 : 6;
        }
        return 1L << bit;
    }

    // ---- conversions ---------------------------------------------------------------------------

    /** Between formats: single to double is exact, double to single rounds. */
    long convert(long a, int from, int to, int rm) {
        if (isNaN(a, from)) {
            if (isSignalingNaN(a, from)) {
                flags |= NV;
            }
            return canonicalNaN(to);
        }
        boolean neg = sign(a, from);
        if (isInf(a, from)) {
            return inf(neg, to);
        }
        if (isZero(a, from)) {
            return zero(neg, to);
        }
        return round(neg, lsbExp(a, from), sig(a, from), rm, to);
    }

    /** Integer kinds of the fcvt instructions. */
    static final int W = 0, WU = 1, L = 2, LU = 3;

    /**
     * Float to integer, rounding in mode rm, saturating with NV when out of range or NaN (NaN gives
     * the largest value); W and WU results are sign-extended from 32 bits as RV64 defines.
     */
    long toInt(long a, int kind, int rm, int f) {
        boolean unsigned = kind == WU || kind == LU;
        boolean wide = kind >= L;
        long max = wide ? (unsigned ? -1L : Long.MAX_VALUE) : (unsigned ? 0xFFFF_FFFFL : Integer.MAX_VALUE);
        long min = unsigned ? 0 : wide ? Long.MIN_VALUE : Integer.MIN_VALUE;
        if (isNaN(a, f)) {
            flags |= NV;
            return wide ? max : (int) max;
        }
        boolean neg = sign(a, f);
        if (isInf(a, f)) {
            flags |= NV;
            return wide ? (neg ? min : max) : (int) (neg ? min : max);
        }
        if (isZero(a, f)) {
            return 0;
        }
        long m = sig(a, f);
        int e = lsbExp(a, f);
        long mag;                // |rounded value| when it is below 2^64
        boolean inexact = false, overflow = false;
        if (e >= 0) {
            overflow = e > Long.numberOfLeadingZeros(m); // would reach 2^64
            mag = overflow ? 0 : m << e;
        } else {
            int n = -e;          // fraction bits
            long whole;
            boolean half, below;
            if (n >= 62) {       // m < 2^53, so the value is below 2^-9
                whole = 0;
                half = false;
                below = true;
            } else {
                whole = m >>> n;
                half = ((m >>> (n - 1)) & 1) != 0;
                below = (m & ((1L << (n - 1)) - 1)) != 0;
            }
            inexact = half || below;
            boolean up = switch (rm) {
                case RNE -> half && (below || (whole & 1) != 0);
                case RMM -> half;
                case RDN -> neg && inexact;
                case RUP -> !neg && inexact;
                default -> false;
            };
            mag = whole + (up ? 1 : 0);
        }
        // The most negative value's magnitude is 2^63 (Long.MIN_VALUE read unsigned) or 2^31.
        long limit = neg ? (unsigned ? 0 : wide ? Long.MIN_VALUE : 1L << 31) : max;
        if (overflow || Long.compareUnsigned(mag, limit) > 0) {
            flags |= NV;
            long v = neg ? min : max;
            return wide ? v : (int) v;
        }
        if (inexact) {
            flags |= NX;
        }
        long v = neg ? -mag : mag;
        return wide ? v : (int) v;
    }

    /** Integer to float: W and L are signed, WU and LU unsigned (of the low 32 bits for W and WU). */
    long fromInt(long x, int kind, int rm, int f) {
        boolean neg = false;
        long mag;
        switch (kind) {
            case W -> {
                int v = (int) x;
                neg = v < 0;
                mag = Math.abs((long) v);
            }
            case WU -> mag = x & 0xFFFF_FFFFL;
            case L -> {
                neg = x < 0;
                mag = neg ? -x : x; // Long.MIN_VALUE stays 2^63 as an unsigned magnitude
            }
            default -> mag = x;
        }
        if (mag == 0) {
            return 0;
        }
        if (mag < 0) { // 2^63 or more: halve with sticky so round() gets a positive significand
            return round(neg, 1, (mag >>> 1) | (mag & 1), rm, f);
        }
        return round(neg, 0, mag, rm, f);
    }
}
