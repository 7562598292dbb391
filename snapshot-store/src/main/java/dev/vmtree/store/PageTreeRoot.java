package dev.vmtree.store;

/**
 * Names one image in the store: the root of its {@link PageTree}, its size in bytes and its page
 * size. {@code root} is {@link ChunkId#ZERO} for an image whose pages are all zero.
 */
public record PageTreeRoot(ChunkId root, long size, int pageSize) {

    public PageTreeRoot {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        if (size < 0 || size % pageSize != 0) {
            throw new IllegalArgumentException("image size " + size + " is not a multiple of the page size " + pageSize);
        }
    }

    /** An image of {@code size} bytes, every page zero. */
    public static PageTreeRoot empty(long size, int pageSize) {
        return new PageTreeRoot(ChunkId.ZERO, size, pageSize);
    }

    public long pageCount() {
        return size / pageSize;
    }

    /** Levels of nodes above the pages: the least d ≥ 1 with FANOUT^d ≥ pageCount. */
    public int depth() {
        int d = 1;
        long span = PageTree.FANOUT;
        while (span < pageCount()) {
            d++;
            span <<= PageTree.FANOUT_BITS;
        }
        return d;
    }
}
