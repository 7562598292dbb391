package dev.vmtree.cow;

/**
 * An immutable view of a {@link PagedImage} at the moment it was frozen. Readable from any thread
 * while the image it came from goes on being written; it never changes and copies no data.
 */
public interface FrozenImage extends PageSource {

    /** Size of the image in bytes (a multiple of {@link #pageSize()}). */
    long size();

    /** Page size in bytes, a power of two. */
    int pageSize();

    default long pageCount() {
        return size() / pageSize();
    }

    /**
     * True when page {@code index} is all zero. Implementations that know without reading the data
     * (a PageTree's zero ids) override this, so counting allocated blocks or skipping holes in an
     * export costs no page reads.
     */
    default boolean isZeroPage(long index) {
        byte[] p = page(index);
        return p == null || PagedImages.isZero(p);
    }

    /** Copies {@code len} bytes starting at {@code offset} into {@code dst}. */
    default void read(long offset, byte[] dst, int dstOff, int len) {
        PagedImages.checkRange(size(), offset, len);
        int ps = pageSize();
        while (len > 0) {
            long index = offset / ps;
            int inPage = (int) (offset % ps);
            int n = Math.min(len, ps - inPage);
            byte[] p = page(index);
            if (p == null) {
                java.util.Arrays.fill(dst, dstOff, dstOff + n, (byte) 0);
            } else {
                System.arraycopy(p, inPage, dst, dstOff, n);
            }
            offset += n;
            dstOff += n;
            len -= n;
        }
    }
}
