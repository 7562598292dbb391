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

    static int checkPageSize(int pageSize) {
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two >= 512: " + pageSize);
        }
        return pageSize;
    }
}
