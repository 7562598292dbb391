package dev.vmtree.cow;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A {@link PagedImage} whose written pages live on the Java heap, over any {@link PageSource}
 * (all zero, a frozen view, or a snapshot in the store).
 *
 * <p>Ownership is tracked with epochs: {@code owner[i] == epoch} means page {@code i} was copied or
 * created after the last freeze and may be written in place. {@link #freeze()} copies the page
 * reference table (8 bytes a page, no data) and bumps the epoch, which makes every page shared
 * again in O(1). A page is dirty when its owner epoch is newer than the last persisted freeze.
 *
 * <p>Pages are indexed by {@code int}: up to 2^31 pages (8 TiB of 4 KiB pages).
 */
public final class InMemoryPagedImage implements PagedImage {

    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long size;
    private final int pageSize;
    private final int pageShift;
    private final int pageMask;
    private final PageSource base;
    private final byte[] zeroPage;

    /** Page contents; {@code null} means "not faulted in yet: ask {@link #base}". */
    private byte[][] pages;
    /** Epoch in which each page was last made private (written); 0 for never. */
    private final long[] owner;
    /** Current epoch; pages owned in it are writable in place. Starts at 1. */
    private long epoch = 1;
    /** Epoch of the last persisted view: pages with owner > this are dirty. */
    private long persistedEpoch = 0;
    private long dirtyCount;

    /** An all-zero image. */
    public InMemoryPagedImage(long size, int pageSize) {
        this(size, pageSize, PageSource.ZERO);
    }

    /**
     * An image whose untouched pages come from {@code base}. Pages faulted in from the base are
     * clean: only writes make a page dirty.
     */
    public InMemoryPagedImage(long size, int pageSize, PageSource base) {
        this.pageSize = PagedImages.checkPageSize(pageSize);
        if (size < 0 || size % pageSize != 0) {
            throw new IllegalArgumentException("image size must be a non-negative multiple of " + pageSize + ": " + size);
        }
        long count = size / pageSize;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image too large for an in-memory page table: " + size + " bytes");
        }
        this.size = size;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pageMask = pageSize - 1;
        this.base = Objects.requireNonNull(base, "base");
        this.zeroPage = new byte[pageSize];
        this.pages = new byte[(int) count][];
        this.owner = new long[(int) count];
    }

    /** A writable image that starts as a copy of {@code view}, sharing its pages until written. */
    public static InMemoryPagedImage over(FrozenImage view) {
        return new InMemoryPagedImage(view.size(), view.pageSize(), view);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int pageSize() {
        return pageSize;
    }

    @Override
    public long load(long offset, int width) {
        byte[] p = pageForRead(offset >>> pageShift);
        int at = (int) offset & pageMask;
        return switch (width) {
            case 1 -> p[at] & 0xFFL;
            case 2 -> (short) I16.get(p, at) & 0xFFFFL;
            case 4 -> (int) I32.get(p, at) & 0xFFFF_FFFFL;
            case 8 -> (long) I64.get(p, at);
            default -> throw new IllegalArgumentException("load width " + width);
        };
    }

    @Override
    public void store(long offset, int width, long value) {
        byte[] p = pageForWrite(offset >>> pageShift);
        int at = (int) offset & pageMask;
        switch (width) {
            case 1 -> p[at] = (byte) value;
            case 2 -> I16.set(p, at, (short) value);
            case 4 -> I32.set(p, at, (int) value);
            case 8 -> I64.set(p, at, value);
            default -> throw new IllegalArgumentException("store width " + width);
        }
    }

    @Override
    public void read(long offset, byte[] dst, int dstOff, int len) {
        PagedImages.checkRange(size, offset, len);
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        while (len > 0) {
            int inPage = (int) offset & pageMask;
            int n = Math.min(len, pageSize - inPage);
            System.arraycopy(pageForRead(offset >>> pageShift), inPage, dst, dstOff, n);
            offset += n;
            dstOff += n;
            len -= n;
        }
    }

    @Override
    public void write(long offset, byte[] src, int srcOff, int len) {
        PagedImages.checkRange(size, offset, len);
        Objects.checkFromIndexSize(srcOff, len, src.length);
        while (len > 0) {
            int inPage = (int) offset & pageMask;
            int n = Math.min(len, pageSize - inPage);
            System.arraycopy(src, srcOff, pageForWrite(offset >>> pageShift), inPage, n);
            offset += n;
            srcOff += n;
            len -= n;
        }
    }

    @Override
    public byte[] pageForRead(long index) {
        int i = Math.toIntExact(Objects.checkIndex(index, pages.length));
        byte[] p = pages[i];
        if (p == null) {
            p = base.page(i);
            if (p == null) {
                return zeroPage;
            }
            pages[i] = p; // cache the shared base page; still not owned, so never written in place
        }
        return p;
    }

    @Override
    public byte[] pageForWrite(long index) {
        int i = Math.toIntExact(Objects.checkIndex(index, pages.length));
        long o = owner[i];
        if (o == epoch) {
            return pages[i];
        }
        byte[] current = pages[i];
        if (current == null) {
            current = base.page(i);
        }
        byte[] copy = current == null ? new byte[pageSize] : current.clone();
        pages[i] = copy;
        if (o <= persistedEpoch) {
            dirtyCount++;
        }
        owner[i] = epoch;
        return copy;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public FrozenImage freeze() {
        Frozen view = new Frozen(this, pages.clone(), epoch);
        epoch++;
        return view;
    }

    @Override
    public void forEachDirtyPage(LongConsumer action) {
        long[] own = owner;
        long p = persistedEpoch;
        for (int i = 0; i < own.length; i++) {
            if (own[i] > p) {
                action.accept(i);
            }
        }
    }

    @Override
    public long dirtyPageCount() {
        return dirtyCount;
    }

    @Override
    public void markPersisted(FrozenImage view) {
        if (!(view instanceof Frozen f) || f.image != this) {
            throw new IllegalArgumentException("view was not frozen from this image");
        }
        if (f.epoch <= persistedEpoch) {
            return;
        }
        persistedEpoch = f.epoch;
        long count = 0;
        for (long o : owner) {
            if (o > persistedEpoch) {
                count++;
            }
        }
        dirtyCount = count;
    }

    @Override
    public String toString() {
        return "InMemoryPagedImage[" + size + " bytes, " + pageSize + "-byte pages, epoch " + epoch + "]";
    }

    /** The frozen view: a private copy of the page table, falling back to the base for untouched pages. */
    private record Frozen(InMemoryPagedImage image, byte[][] table, long epoch) implements FrozenImage {
        @Override
        public long size() {
            return image.size;
        }

        @Override
        public int pageSize() {
            return image.pageSize;
        }

        @Override
        public byte[] page(long index) {
            int i = Math.toIntExact(Objects.checkIndex(index, table.length));
            byte[] p = table[i];
            return p != null ? p : image.base.page(i);
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }

        @Override
        public String toString() {
            return "FrozenImage[epoch " + epoch + " of " + image + "]";
        }
    }
}
