package dev.vmtree.cow.disk;

import java.util.Arrays;

/** Fast all-zero checks, so zero blocks stay unallocated on import, export and write-zeroes. */
public final class ZeroBlocks {
    private static final byte[] ZERO = new byte[64 * 1024];

    private ZeroBlocks() {}

    /** True when {@code a[off, off+len)} is all zero (a vectorized comparison, 64 KiB at a time). */
    public static boolean isZero(byte[] a, int off, int len) {
        while (len > 0) {
            int n = Math.min(len, ZERO.length);
            if (Arrays.mismatch(a, off, off + n, ZERO, 0, n) >= 0) {
                return false;
            }
            off += n;
            len -= n;
        }
        return true;
    }

    /** True when the page is absent ({@code null}, the PageSource convention for zero) or all zero. */
    public static boolean isZero(byte[] page) {
        return page == null || isZero(page, 0, page.length);
    }

    /** A shared zero buffer of at least 64 KiB; never write it. */
    static byte[] buffer() {
        return ZERO;
    }
}
