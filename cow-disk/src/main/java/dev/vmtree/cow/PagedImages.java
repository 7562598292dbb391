package dev.vmtree.cow;

/** Argument checks shared by the image implementations. */
final class PagedImages {
    private PagedImages() {}

    static void checkRange(long size, long offset, long len) {
        if (offset < 0 || len < 0 || offset > size - len) {
            throw new IndexOutOfBoundsException(
                    "range [" + offset + ", +" + len + ") outside image of " + size + " bytes");
        }
    }

    private static final byte[] ZERO = new byte[64 * 1024];

    /** True when the array is all zero (vectorized comparison, 64 KiB at a time). */
    static boolean isZero(byte[] a) {
        for (int off = 0; off < a.length; off += ZERO.length) {
            int n = Math.min(ZERO.length, a.length - off);
            if (java.util.Arrays.mismatch(a, off, off + n, ZERO, 0, n) >= 0) {
                return false;
            }
        }
        return true;
    }

    static int checkPageSize(int pageSize) {
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two >= 512: " + pageSize);
        }
        return pageSize;
    }
}
