package dev.vmtree.cow.store;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.PageSource;
import dev.vmtree.cow.PagedImage;
import dev.vmtree.cow.ReadAheadPageSource;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link PagedImage} tied to the snapshot store: it remembers the {@link PageTreeRoot} of its last
 * persisted view, faults absent pages in from the store, and {@link #persist persists} exactly the
 * pages written since then into a new tree version derived from that root.
 *
 * <p>Because the image itself remembers its persisted root, a caller that fails to record a root
 * (a crash of the toolstack between persist and commit) cannot make the next persist build on a
 * stale base: the next root still contains every page.
 *
 * <p>Threading: the image's writer thread calls {@link #persist}, {@link #stage}, {@link #capture}
 * and {@link #confirm}. A persist can also be split so the writer need not wait for the store:
 * {@link #capture} freezes the image and lists its dirty pages (no page data copied, no store I/O),
 * and the {@link Staging} it returns is {@linkplain Staging#write written} from any thread while the
 * writer goes on writing the live image, copy-on-write keeping the frozen view as it was.
 */
public final class PersistentImage {

    /**
     * The outcome of one {@link #persist}: the new root, how many pages were stored, the view it came
     * from, and which {@link #capture} of this image it was (they count up from 1), so a confirm of
     * an older capture than the one already confirmed changes nothing.
     */
    public record Persisted(PageTreeRoot root, long pagesWritten, FrozenImage view, long capture) {}

    /** Blocks a sequential disk read fetches ahead (2 MiB of 64 KiB blocks). */
    public static final int DISK_READ_AHEAD = 32;

    private final PagedImage image;
    private final StoredImage source;
    private PageTreeRoot root;
    /** Captures taken so far, and the number of the one last confirmed (0: none). */
    private long captures;
    private long confirmed;

    private PersistentImage(PagedImage image, StoredImage source, PageTreeRoot root) {
        this.image = image;
        this.source = source;
        this.root = root;
    }

    /** The image stored under {@code root}, faulted in page by page on first touch. O(1) in its size. */
    public static PersistentImage open(Repository repo, PageTreeRoot root) {
        StoredImage stored = new StoredImage(repo.pageTree(root));
        return new PersistentImage(new InMemoryPagedImage(root.size(), root.pageSize(), stored), stored, root);
    }

    /**
     * A disk stored under {@code root}, opened for an instance: only written blocks live in the heap
     * ({@link InMemoryPagedImage#passThrough}); unwritten blocks are read, decoded and verified from
     * the store on every access, and sequential faults fetch the next {@value #DISK_READ_AHEAD}
     * blocks on other cores ({@link ReadAheadPageSource}). O(1) in the disk's size.
     */
    public static PersistentImage openDisk(Repository repo, PageTreeRoot root) {
        StoredImage stored = new StoredImage(repo.pageTree(root));
        PageSource source = new ReadAheadPageSource(stored, root.pageCount(), DISK_READ_AHEAD);
        return new PersistentImage(InMemoryPagedImage.passThrough(root.size(), root.pageSize(), source), stored, root);
    }

    /** A new all-zero image; its first persist stores only the pages written. */
    public static PersistentImage create(long size, int pageSize) {
        return new PersistentImage(new InMemoryPagedImage(size, pageSize), null, PageTreeRoot.empty(size, pageSize));
    }

    /**
     * An image that was never persisted and whose base is not the store (an imported disk, say):
     * its first persist stores every non-zero page, later ones only the dirty pages.
     */
    public static PersistentImage adopt(PagedImage image) {
        return new PersistentImage(Objects.requireNonNull(image, "image"), null, null);
    }

    public PagedImage image() {
        return image;
    }

    /** Root of the last persisted view, or null if an adopted image was never persisted. */
    public PageTreeRoot root() {
        return root;
    }

    /** Pages faulted in from the store so far (0 for images not opened from the store). */
    public long faults() {
        return source == null ? 0 : source.faults();
    }

    /**
     * Freezes the image, stores the pages changed since the last persist as a new version of the
     * tree, makes the chunks durable ({@link WriteTransaction#flush()}) and marks the view
     * persisted. The caller must name the returned root (snapshot, instance record or extra root)
     * before the transaction ends, as for any chunk.
     */
    public Persisted persist(WriteTransaction tx) {
        Persisted p = stage(tx);
        confirm(p);
        return p;
    }

    /**
     * {@link #persist} in two steps, for a caller whose naming of the root may fail: stores the
     * pages changed since the last confirmed view and makes them durable, but the image goes on
     * counting them as changed until {@link #confirm}. A caller that could not name the root just
     * stages again later, and the new tree holds every page since the last confirmed one, none of
     * them relying on chunks a gc may have collected meanwhile because nothing named them.
     */
    public Persisted stage(WriteTransaction tx) {
        return capture().write(tx);
    }

    /**
     * The fast half of {@link #stage}: freezes the image and records the pages changed since the last
     * confirmed view and the root they build on. Costs the freeze and O(dirty pages) index copies; no
     * page data is copied and the store is not touched. {@link Staging#write} later stores exactly
     * what {@link #stage} would have stored now, whatever the writer does to the image meanwhile.
     */
    public Staging capture() {
        FrozenImage view = image.freeze();
        long[] dirty = null;
        if (root != null) {
            long[] all = new long[(int) Math.min(Integer.MAX_VALUE - 8, image.dirtyPageCount())];
            int[] n = {0};
            image.forEachDirtyPage(i -> all[n[0]++] = i);
            dirty = n[0] == all.length ? all : java.util.Arrays.copyOf(all, n[0]);
        }
        return new Staging(view, root, dirty, image.size(), image.pageSize(), ++captures);
    }

    /**
     * An image captured by {@link #capture}, not yet stored. Immutable: {@link #write} may run on any
     * thread (once the staging has been handed over to it, as through an executor or a queue), while
     * the image's writer goes on; it reads only the frozen view, whose pages the writer never writes
     * again (the next write to one copies it first), and the base the view was frozen over (a store,
     * safe for any thread), never the live image.
     */
    public static final class Staging {
        private final FrozenImage view;
        private final PageTreeRoot base;
        private final long[] dirty;
        private final long size;
        private final int pageSize;
        private final long capture;

        private Staging(FrozenImage view, PageTreeRoot base, long[] dirty, long size, int pageSize, long capture) {
            this.view = view;
            this.base = base;
            this.dirty = dirty;
            this.size = size;
            this.pageSize = pageSize;
            this.capture = capture;
        }

        /** The view frozen at the capture. */
        public FrozenImage view() {
            return view;
        }

        /** Pages this staging will store: the dirty pages at the capture, or every page of an image never persisted. */
        public long pages() {
            return dirty == null ? size / pageSize : dirty.length;
        }

        /**
         * Stores the captured pages as a new version of the tree on top of the root confirmed at the
         * capture and makes the chunks durable ({@link WriteTransaction#flush()}). The image does not
         * change: hand the result to {@link PersistentImage#confirm} on the writer thread once its
         * root is named. {@code tx} is used by this thread alone meanwhile.
         */
        public Persisted write(WriteTransaction tx) {
            LongAdder written = new LongAdder();
            java.util.function.LongFunction<byte[]> pages = i -> {
                written.increment();
                return view.page(i);
            };
            PageTreeRoot next = base == null
                    ? tx.buildTree(size, pageSize, pages)
                    : tx.updateTree(base, pages, dirty.clone());
            tx.flush();
            return new Persisted(next, written.sum(), view, capture);
        }
    }

    /**
     * Makes a {@link #stage staged} view the persisted one, now that its root is named; the next stage
     * builds on it. A view captured before the one last confirmed changes nothing: the newer one
     * already holds all it holds.
     */
    public void confirm(Persisted staged) {
        if (staged.capture() <= confirmed) {
            return;
        }
        image.markPersisted(staged.view());
        root = staged.root();
        confirmed = staged.capture();
    }

    @Override
    public String toString() {
        return "PersistentImage[" + image + ", root " + root + "]";
    }
}
