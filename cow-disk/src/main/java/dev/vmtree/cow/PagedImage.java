package dev.vmtree.cow;

import java.util.function.LongConsumer;

/**
 * A byte-addressable, copy-on-write image made of fixed-size pages: guest RAM (4 KiB pages) and
 * virtual disks share it. This is one of the shared Contracts of ../shared/ARCHITECTURE.md.
 *
 * <ul>
 *   <li>{@link #freeze()} returns an immutable {@link FrozenImage} without copying page data; the
 *       first write to a page after a freeze copies that page first.</li>
 *   <li>A page nobody has touched is faulted in lazily from the image's {@link PageSource}.</li>
 *   <li>{@link #forEachDirtyPage} names exactly the pages changed since the last <em>persisted</em>
 *       view ({@link #markPersisted}); freezes taken for other reasons (debug checkpoints) never
 *       hide a page from the next persist.</li>
 * </ul>
 *
 * <p>Threading: one writer thread owns the image; frozen views may be read from any thread, also
 * while the writer goes on writing the image (copy-on-write keeps them as they were frozen).
 *
 * <p>Fast path for the core: {@link #pageForRead} and {@link #pageForWrite} hand out the backing
 * arrays so a software TLB can cache them. An array from {@code pageForWrite} may be written only
 * until the next {@link #freeze()}; callers that cache it compare {@link #epoch()} (or drop their
 * cache whenever they freeze). Arrays from {@code pageForRead} must never be written.
 */
public interface PagedImage {

    /** Size in bytes, a multiple of {@link #pageSize()}. */
    long size();

    /** Page size in bytes, a power of two. */
    int pageSize();

    default long pageCount() {
        return size() / pageSize();
    }

    /** Little-endian load of 1, 2, 4 or 8 bytes that lie inside one page. */
    long load(long offset, int size);

    /** Little-endian store of 1, 2, 4 or 8 bytes that lie inside one page. */
    void store(long offset, int size, long value);

    /** Copies {@code len} bytes at {@code offset} (any alignment, across pages) into {@code dst}. */
    void read(long offset, byte[] dst, int dstOff, int len);

    /** Writes {@code len} bytes from {@code src} at {@code offset} (any alignment, across pages). */
    void write(long offset, byte[] src, int srcOff, int len);

    /** The current contents of a page, shared and read-only; a zero page is a shared zero array. */
    byte[] pageForRead(long index);

    /** A writable array for a page, copied first if it is shared; marks the page dirty. */
    byte[] pageForWrite(long index);

    /** Marks a page dirty after its {@link #pageForWrite} array was written through a cached reference. */
    default void markDirty(long index) {
        pageForWrite(index);
    }

    /** Increments at every {@link #freeze()}: cached writable arrays from an older epoch are stale. */
    long epoch();

    /** An immutable view of the current contents, in time independent of the image size's data. */
    FrozenImage freeze();

    /** Visits, in ascending order, the pages changed since the last persisted view. */
    void forEachDirtyPage(LongConsumer action);

    /** Number of pages changed since the last persisted view. */
    long dirtyPageCount();

    /**
     * Records that {@code view}, which this image froze, is now durable: pages unchanged since that
     * freeze stop being dirty. Pages written after it stay dirty.
     */
    void markPersisted(FrozenImage view);
}
