package dev.vmtree.store;

import dev.vmtree.store.pack.ChunkCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Reads an image stored as a Merkle tree of pages. Level 0 are the pages (chunks of page size),
 * each node above holds the ids of up to {@link #FANOUT} children, trailing zero ids trimmed; the
 * id {@link ChunkId#ZERO} stands for a zero page or a subtree of zero pages, which is never
 * stored. The depth depends only on the page count, so the shape depends only on the image size
 * and its contents: identical images have identical roots. See docs/store.md.
 *
 * <p>Threading: safe for concurrent readers; decoded nodes are cached per repository.
 */
public final class PageTree {
    public static final int FANOUT_BITS = 6;
    public static final int FANOUT = 1 << FANOUT_BITS;

    private final ChunkStore store;
    private final PageTreeRoot root;

    public PageTree(ChunkStore store, PageTreeRoot root) {
        this.store = store;
        this.root = root;
    }

    public PageTreeRoot root() {
        return root;
    }

    /** A node's children in a fresh array the caller may change; ZERO decodes to all-zero children. */
    static ChunkId[] decodeNode(ChunkStore store, ChunkId id) {
        ChunkId[] out = new ChunkId[FANOUT];
        java.util.Arrays.fill(out, ChunkId.ZERO);
        if (id.isZero()) {
            return out;
        }
        byte[] b = nodeBytes(store, id);
        for (int i = 0; i < b.length / ChunkId.BYTES; i++) {
            out[i] = ChunkId.fromBytes(b, i * ChunkId.BYTES);
        }
        return out;
    }

    /** Child {@code slot} of node {@code id} (not ZERO), without decoding the others. */
    static ChunkId child(ChunkStore store, ChunkId id, int slot) {
        byte[] b = nodeBytes(store, id);
        return (slot + 1) * ChunkId.BYTES <= b.length ? ChunkId.fromBytes(b, slot * ChunkId.BYTES) : ChunkId.ZERO;
    }

    /** The encoded node, from the repository's node cache or read (verified) and cached. */
    private static byte[] nodeBytes(ChunkStore store, ChunkId id) {
        byte[] b = store.nodeCache().get(id);
        if (b != null) {
            return b;
        }
        b = store.read(id);
        if (b.length % ChunkId.BYTES != 0 || b.length > FANOUT * ChunkId.BYTES) {
            throw new StoreException("chunk " + id.shortHex() + " is not a page tree node (" + b.length + " bytes)");
        }
        store.nodeCache().put(id, b);
        return b;
    }

    /**
     * The root a tree of these pages would have, computed without a store (nothing is written):
     * the same value {@link WriteTransaction#buildTree} returns for the same size and pages, so a
     * machine that never touched a repository still has a StateId. {@code pages} may return null
     * for a zero page; pages are hashed on all cores.
     */
    public static PageTreeRoot digest(long size, int pageSize, java.util.function.LongFunction<byte[]> pages) {
        PageTreeRoot empty = PageTreeRoot.empty(size, pageSize);
        long count = empty.pageCount();
        int depth = empty.depth();
        ChunkId[] level = new ChunkId[Math.toIntExact(count)];
        Parallel.run(level.length, i -> {
            byte[] p = pages.apply(i);
            if (p != null && p.length != pageSize) {
                throw new IllegalArgumentException("page " + i + " has " + p.length + " bytes, expected " + pageSize);
            }
            level[i] = p == null || ChunkCodec.isZero(p, 0, p.length) ? ChunkId.ZERO : ChunkId.hash(p);
        });
        ChunkId[] below = level;
        for (int l = 1; l <= depth; l++) {
            ChunkId[] above = new ChunkId[(below.length + FANOUT - 1) / FANOUT];
            if (above.length == 0) {
                above = new ChunkId[] {ChunkId.ZERO};
            }
            ChunkId[] from = below;
            ChunkId[] to = above;
            Parallel.run(to.length, k -> {
                ChunkId[] node = new ChunkId[FANOUT];
                java.util.Arrays.fill(node, ChunkId.ZERO);
                for (int j = 0; j < FANOUT && k * FANOUT + j < from.length; j++) {
                    node[j] = from[k * FANOUT + j];
                }
                byte[] b = encodeNode(node);
                to[k] = b.length == 0 ? ChunkId.ZERO : ChunkId.hash(b);
            });
            below = above;
        }
        return new PageTreeRoot(below[0], size, pageSize);
    }

    static byte[] encodeNode(ChunkId[] children) {
        int last = children.length - 1;
        while (last >= 0 && children[last].isZero()) {
            last--;
        }
        byte[] b = new byte[(last + 1) * ChunkId.BYTES];
        for (int i = 0; i <= last; i++) {
            children[i].write(b, i * ChunkId.BYTES);
        }
        return b;
    }

    /** The id of page {@code index} ({@link ChunkId#ZERO} for a zero page). */
    public ChunkId pageId(long index) {
        if (index < 0 || index >= root.pageCount()) {
            throw new IndexOutOfBoundsException("page " + index + " of " + root.pageCount());
        }
        ChunkId id = root.root();
        for (int level = root.depth(); level >= 1 && !id.isZero(); level--) {
            id = child(store, id, (int) ((index >>> (FANOUT_BITS * (level - 1))) & (FANOUT - 1)));
        }
        return id;
    }

    /**
     * The contents of page {@code index}, or null when it is all zero. In a lazy clone a page absent
     * here is fetched from the repository's {@link Promisor} with the next absent pages of the
     * image ({@link #following}) in the same request.
     */
    public byte[] page(long index) {
        ChunkId id = pageId(index);
        return id.isZero() ? null : checked(store.read(id, () -> following(index)), id, index);
    }

    /**
     * The read-ahead of a fault of page {@code index}: the next non-zero pages of the image in
     * order that are absent here, at most {@link Promisor#READ_AHEAD_CHUNKS} − 1 of them and
     * {@link Promisor#READ_AHEAD_BYTES} with the page itself, looking no further than 64 times as
     * many pages on (a sparse stretch is not scanned to its end). Asked only on the slow path of a
     * fault; the nodes it reads are here (a lazy clone fetches every node).
     */
    List<ChunkId> following(long index) {
        int max = Math.min(Promisor.READ_AHEAD_CHUNKS, Math.max(1, Promisor.READ_AHEAD_BYTES / root.pageSize())) - 1;
        List<ChunkId> out = new ArrayList<>(max);
        long end = Math.min(root.pageCount(), index + 1 + 64L * Math.max(1, max));
        for (long i = index + 1; i < end && out.size() < max; i++) {
            ChunkId id = pageId(i);
            if (!id.isZero() && !store.contains(id)) {
                out.add(id);
            }
        }
        return out;
    }

    /** A visitor of non-zero pages; called from several threads at once by {@link #readAll}. */
    @FunctionalInterface
    public interface PageConsumer {
        void accept(long index, byte[] page);
    }

    /** Every non-zero page with its index, in order. */
    public void forEachPageId(PageIdConsumer action) {
        walk(root.root(), root.depth(), 0, action);
    }

    @FunctionalInterface
    public interface PageIdConsumer {
        void accept(long index, ChunkId id);
    }

    private void walk(ChunkId id, int level, long first, PageIdConsumer action) {
        if (id.isZero()) {
            return;
        }
        if (level == 0) {
            action.accept(first, id);
            return;
        }
        ChunkId[] children = decodeNode(store, id);
        long span = 1L << (FANOUT_BITS * (level - 1));
        for (int i = 0; i < FANOUT; i++) {
            walk(children[i], level - 1, first + i * span, action);
        }
    }

    /** Reads every non-zero page, verifying each, on all cores; {@code action} must be thread-safe. */
    public void readAll(PageConsumer action) {
        long[][] indexes = {new long[1024]};
        List<ChunkId> ids = new ArrayList<>();
        forEachPageId((i, id) -> {
            if (ids.size() == indexes[0].length) {
                indexes[0] = java.util.Arrays.copyOf(indexes[0], ids.size() * 2);
            }
            indexes[0][ids.size()] = i;
            ids.add(id);
        });
        long[] at = indexes[0];
        store.readMany(ids.toArray(ChunkId[]::new), (k, page) -> action.accept(at[k], checked(page, ids.get(k), at[k])));
    }

    private byte[] checked(byte[] b, ChunkId id, long index) {
        if (b.length != root.pageSize()) {
            throw new StoreException("page " + index + " (chunk " + id.shortHex() + ") has " + b.length
                    + " bytes, expected " + root.pageSize());
        }
        return b;
    }

    /**
     * Visits, in ascending order, every page index whose contents differ between two trees of the
     * same page size, descending only into subtrees whose ids differ. Pages beyond the smaller
     * image count as zero.
     */
    public static void diff(ChunkStore store, PageTreeRoot a, PageTreeRoot b, LongConsumer action) {
        if (a.pageSize() != b.pageSize()) {
            throw new IllegalArgumentException("page sizes differ: " + a.pageSize() + " and " + b.pageSize());
        }
        int top = Math.max(a.depth(), b.depth());
        long limit = Math.max(a.pageCount(), b.pageCount());
        diff(store, a.root(), a.depth(), b.root(), b.depth(), top, 0, limit, action);
    }

    private static void diff(ChunkStore store, ChunkId x, int dx, ChunkId y, int dy, int level, long first,
                             long limit, LongConsumer action) {
        if (x.equals(y) || first >= limit) {
            return;
        }
        if (level == 0) {
            action.accept(first);
            return;
        }
        ChunkId[] cx = children(store, x, dx, level);
        ChunkId[] cy = children(store, y, dy, level);
        long span = 1L << (FANOUT_BITS * (level - 1));
        for (int i = 0; i < FANOUT; i++) {
            diff(store, cx[i], dx, cy[i], dy, level - 1, first + i * span, limit, action);
        }
    }

    /** Children at {@code level}; a shallower tree sits whole in slot 0 of the levels above its root. */
    private static ChunkId[] children(ChunkStore store, ChunkId id, int depth, int level) {
        if (level > depth) {
            ChunkId[] c = decodeNode(store, ChunkId.ZERO);
            c[0] = id;
            return c;
        }
        return decodeNode(store, id);
    }

    /**
     * Visits every chunk of tree {@code now} (nodes and pages, never ZERO) that tree {@code old} does
     * not hold at the same place, descending only into subtrees whose ids differ: what a receiver
     * that has {@code old} whole lacks of {@code now}, in O(changed pages) (a live migration's rounds).
     * A chunk may be visited more than once (equal pages at several places). Trees of another size or
     * page size, or a null {@code old}, share nothing: every chunk of {@code now} is visited.
     */
    public static void newChunks(ChunkStore store, PageTreeRoot old, PageTreeRoot now, Consumer<ChunkId> action) {
        if (old == null || old.size() != now.size() || old.pageSize() != now.pageSize()) {
            forEachChunk(store, now, new java.util.HashSet<>(), action);
            return;
        }
        fresh(store, old.root(), now.root(), now.depth(), action);
    }

    private static void fresh(ChunkStore store, ChunkId was, ChunkId id, int level, Consumer<ChunkId> action) {
        if (id.isZero() || id.equals(was)) {
            return;
        }
        action.accept(id);
        if (level > 0) {
            ChunkId[] before = decodeNode(store, was);
            ChunkId[] after = decodeNode(store, id);
            for (int i = 0; i < FANOUT; i++) {
                fresh(store, before[i], after[i], level - 1, action);
            }
        }
    }

    /**
     * Visits every chunk the tree needs (nodes and pages) once, skipping subtrees whose root is
     * already in {@code seen}; shared subtrees of several trees are thus walked once.
     */
    public static void forEachChunk(ChunkStore store, PageTreeRoot root, Set<ChunkId> seen, Consumer<ChunkId> action) {
        mark(store, root.root(), root.depth(), seen, action);
    }

    private static void mark(ChunkStore store, ChunkId id, int level, Set<ChunkId> seen, Consumer<ChunkId> action) {
        if (id.isZero() || !seen.add(id)) {
            return;
        }
        action.accept(id);
        if (level > 0) {
            for (ChunkId c : decodeNode(store, id)) {
                mark(store, c, level - 1, seen, action);
            }
        }
    }
}
