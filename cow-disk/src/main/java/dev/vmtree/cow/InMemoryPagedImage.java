package dev.vmtree.cow;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A {@link PagedImage} whose written pages live on the Java heap, over any {@link PageSource}
 * (all zero, a frozen view, or a snapshot in the store).
 *
 * <p><b>Layout.</b> Page references sit in a two-level table: a top array of leaves, each leaf
 * holding {@value #LEAF_PAGES} page references. A leaf exists only once a page in its range has
 * been touched, so a 1 TiB sparse disk costs one top array (32 K entries for 64 KiB blocks) and
 * nothing else until written.
 *
 * <p><b>Epochs.</b> {@link #freeze()} clones only the top array and bumps the epoch; the leaves and
 * pages it references become shared with the view. A leaf or page may be written in place only if
 * it was created or copied in the current epoch ({@code leafEpoch[j] == epoch},
 * {@code owner[j][k] == epoch}); otherwise the first write copies the leaf's reference array (512
 * references) and the one page. Freeze therefore costs O(size / 2 MiB) reference copies for 4 KiB
 * pages, about 2,048 for a 4 GiB image, and no page data.
 *
 * <p><b>Dirty tracking.</b> A page is dirty when its owner epoch is newer than the epoch of the last
 * view passed to {@link #markPersisted}; freezes that are never persisted do not reset anything.
 * Owner epochs are private to the writer and never shared with views.
 *
 * <p><b>Threading.</b> One writer thread owns the image: every method of this class is for that
 * thread only. A {@link FrozenImage} it returns is immutable and may be read from any thread once it
 * has been handed over (its table is a final field, and nothing reachable from it is ever written
 * again). The {@link PageSource} base must be safe to call from any thread.
 * Nothing the writer does after the freeze reaches a view: a write copies a shared page, and its
 * leaf (references only), before changing it; a page faulted in after the freeze is remembered in
 * a copied leaf, so the view still asks the base for it and gets the same bytes (the base never
 * changes); a {@link #passThrough} image remembers no fault at all. So a view may be read, as the
 * store does when it persists one, while the writer goes on.
 *
 * <p>Pages faulted in from the base are cached in the table (still shared, never written in place)
 * for the life of the image: what RAM wants, since the core's TLB holds on to page arrays anyway.
 * A {@link #passThrough} image caches nothing it did not write: every read of an unwritten page asks
 * the base again. That is what disks over the store want: heap use is the blocks written, not the
 * blocks read, and a scan of a large disk does not drag it all into the heap.
 */
public final class InMemoryPagedImage implements PagedImage {

    /** log2 of the number of page references in one leaf of the page table. */
    static final int LEAF_SHIFT = 9;
    static final int LEAF_PAGES = 1 << LEAF_SHIFT;
    private static final int LEAF_MASK = LEAF_PAGES - 1;

    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long size;
    private final long pageCount;
    private final int pageSize;
    private final int pageShift;
    private final int pageMask;
    private final PageSource base;
    /**
     * The shared all-zero page: returned for reads of zero pages and stored in a leaf to remember
     * "the base said zero" so the base is not asked again. Never written; views map it back to null.
     */
    private final byte[] zeroPage;
    /** Whether pages faulted in from the base are remembered (false: a pass-through image). */
    private final boolean cacheFaults;

    /** Leaves of page references; a null leaf or entry means "not faulted in yet: ask the base". */
    private final byte[][][] top;
    /** Epoch in which each leaf was created or copied; only a leaf of the current epoch is written. */
    private final long[] leafEpoch;
    /** Epoch in which each page was last made private (written); 0 for never. Writer-private. */
    private final long[][] owner;
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
        this(size, pageSize, base, true);
    }

    /**
     * An image over {@code base} that keeps only the pages written to it; unwritten pages are read
     * from the base on every access (for disks over the store; see the class comment).
     */
    public static InMemoryPagedImage passThrough(long size, int pageSize, PageSource base) {
        return new InMemoryPagedImage(size, pageSize, base, false);
    }

    private InMemoryPagedImage(long size, int pageSize, PageSource base, boolean cacheFaults) {
        this.cacheFaults = cacheFaults;
        this.pageSize = PagedImages.checkPageSize(pageSize);
        if (size < 0 || size % pageSize != 0) {
            throw new IllegalArgumentException("image size must be a non-negative multiple of " + pageSize + ": " + size);
        }
        this.size = size;
        this.pageCount = size / pageSize;
        long leaves = (pageCount + LEAF_PAGES - 1) >>> LEAF_SHIFT;
        if (leaves > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image too large for an in-memory page table: " + size + " bytes");
        }
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pageMask = pageSize - 1;
        this.base = Objects.requireNonNull(base, "base");
        this.zeroPage = new byte[pageSize];
        this.top = new byte[(int) leaves][][];
        this.leafEpoch = new long[(int) leaves];
        this.owner = new long[(int) leaves][];
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
    public long pageCount() {
        return pageCount;
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
        Objects.checkIndex(index, pageCount);
        byte[][] leaf = top[(int) (index >>> LEAF_SHIFT)];
        if (leaf != null) {
            byte[] p = leaf[(int) index & LEAF_MASK];
            if (p != null) {
                return p;
            }
        }
        return faultForRead(index);
    }

    /** Slow path of {@link #pageForRead}: ask the base once and remember the answer. */
    private byte[] faultForRead(long index) {
        byte[] p = base.page(index);
        if (p == null) {
            p = zeroPage;
        } else if (p.length != pageSize) {
            throw new PageFaultException("page " + index + " from " + base + " has " + p.length + " bytes, expected " + pageSize);
        }
        if (cacheFaults) {
            // Still not owned, so never written in place; the leaf holding it is ours to change.
            writableLeaf((int) (index >>> LEAF_SHIFT))[(int) index & LEAF_MASK] = p;
        }
        return p;
    }

    @Override
    public byte[] pageForWrite(long index) {
        Objects.checkIndex(index, pageCount);
        int j = (int) (index >>> LEAF_SHIFT);
        long[] own = owner[j];
        if (own != null && own[(int) index & LEAF_MASK] == epoch) {
            return top[j][(int) index & LEAF_MASK]; // owned in this epoch, so its leaf is too
        }
        return copyForWrite(index);
    }

    /** Slow path of {@link #pageForWrite}: the first write to a page in this epoch copies it. */
    private byte[] copyForWrite(long index) {
        int j = (int) (index >>> LEAF_SHIFT);
        int k = (int) index & LEAF_MASK;
        byte[][] leaf = writableLeaf(j);
        long[] own = owner[j];
        if (own == null) {
            own = new long[LEAF_PAGES];
            owner[j] = own;
        }
        byte[] current = leaf[k];
        if (current == null) {
            current = base.page(index);
        }
        byte[] copy = current == null || current == zeroPage ? new byte[pageSize] : current.clone();
        if (copy.length != pageSize) {
            throw new PageFaultException("page " + index + " from " + base + " has " + copy.length + " bytes, expected " + pageSize);
        }
        leaf[k] = copy;
        if (own[k] <= persistedEpoch) {
            dirtyCount++;
        }
        own[k] = epoch;
        return copy;
    }

    /** Leaf {@code j}, created or copied (references only) if a frozen view may share it. */
    private byte[][] writableLeaf(int j) {
        byte[][] leaf = top[j];
        if (leaf != null && leafEpoch[j] == epoch) {
            return leaf;
        }
        leaf = leaf == null ? new byte[LEAF_PAGES][] : leaf.clone();
        top[j] = leaf;
        leafEpoch[j] = epoch;
        return leaf;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public FrozenImage freeze() {
        Frozen view = new Frozen(this, top.clone(), epoch);
        epoch++;
        return view;
    }

    @Override
    public void forEachDirtyPage(LongConsumer action) {
        long p = persistedEpoch;
        for (int j = 0; j < owner.length; j++) {
            long[] own = owner[j];
            if (own == null) {
                continue;
            }
            for (int k = 0; k < LEAF_PAGES; k++) {
                if (own[k] > p) {
                    action.accept(((long) j << LEAF_SHIFT) | k);
                }
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
        for (long[] own : owner) {
            if (own != null) {
                for (long o : own) {
                    if (o > persistedEpoch) {
                        count++;
                    }
                }
            }
        }
        dirtyCount = count;
    }

    /** Number of leaves of the page table that exist (a measure of how much of the table is allocated). */
    long allocatedLeaves() {
        long n = 0;
        for (byte[][] leaf : top) {
            if (leaf != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "InMemoryPagedImage[" + size + " bytes, " + pageSize + "-byte pages, epoch " + epoch + "]";
    }

    /** The frozen view: a private copy of the top of the page table, sharing every leaf and page. */
    private record Frozen(InMemoryPagedImage image, byte[][][] table, long epoch) implements FrozenImage {
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
            Objects.checkIndex(index, image.pageCount);
            byte[][] leaf = table[(int) (index >>> LEAF_SHIFT)];
            byte[] p = leaf == null ? null : leaf[(int) index & LEAF_MASK];
            if (p == null) {
                return image.base.page(index);
            }
            return p == image.zeroPage ? null : p;
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
