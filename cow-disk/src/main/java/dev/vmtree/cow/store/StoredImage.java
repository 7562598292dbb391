package dev.vmtree.cow.store;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.PageFaultException;
import dev.vmtree.cow.PageUnavailableException;
import dev.vmtree.store.ChunkUnavailableException;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.StoreException;
import java.util.concurrent.atomic.LongAdder;

/**
 * An image in the snapshot store as a {@link FrozenImage}: each {@link #page} reads the page's
 * chunk from the {@link PageTree}, which decompresses it and verifies its SHA-256. Nothing is
 * cached here; an {@link dev.vmtree.cow.InMemoryPagedImage} over it caches what it faults in, so
 * every page is read from the store at most once per instance.
 *
 * <p>Threading: safe for any number of threads (the page tree is).
 */
public final class StoredImage implements FrozenImage {
    private final PageTree tree;
    private final LongAdder faults = new LongAdder();

    public StoredImage(PageTree tree) {
        this.tree = tree;
    }

    public PageTreeRoot root() {
        return tree.root();
    }

    @Override
    public long size() {
        return tree.root().size();
    }

    @Override
    public int pageSize() {
        return tree.root().pageSize();
    }

    @Override
    public byte[] page(long index) {
        faults.increment();
        try {
            return tree.page(index);
        } catch (ChunkUnavailableException e) {
            throw new PageUnavailableException("page " + index + " of image " + tree.root().root().shortHex() + ": "
                    + e.getMessage(), e);
        } catch (StoreException e) {
            throw new PageFaultException("page " + index + " of image " + tree.root().root().shortHex() + ": " + e.getMessage(), e);
        }
    }

    /** Answered from the tree's ids: no page is read (the store never stores a zero page). */
    @Override
    public boolean isZeroPage(long index) {
        try {
            return tree.pageId(index).isZero();
        } catch (ChunkUnavailableException e) {
            throw new PageUnavailableException("page " + index + " of image " + tree.root().root().shortHex() + ": "
                    + e.getMessage(), e);
        } catch (StoreException e) {
            throw new PageFaultException("page " + index + " of image " + tree.root().root().shortHex() + ": " + e.getMessage(), e);
        }
    }

    /** How many pages have been asked of the store through this image (zero pages included). */
    public long faults() {
        return faults.sum();
    }

    @Override
    public String toString() {
        return "StoredImage[" + tree.root() + "]";
    }
}
