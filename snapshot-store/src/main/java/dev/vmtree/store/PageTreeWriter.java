package dev.vmtree.store;

import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * Writes page trees: a whole image, or a new version of one from its previous tree and the set
 * of changed pages. Only the changed pages and the nodes on their paths to the root are hashed
 * and stored, so a version costs O(dirty pages · depth). Pages are hashed and compressed on all
 * cores. A whole image streams through a cursor that walks the pages left to right, so memory
 * stays small whatever the image size; an update works level by level on all cores.
 */
final class PageTreeWriter {
    private static final int BATCH = 16384;

    private PageTreeWriter() {}

    static PageTreeRoot build(ChunkWriter writer, ChunkStore store, long size, int pageSize, LongFunction<byte[]> pages) {
        PageTreeRoot empty = PageTreeRoot.empty(size, pageSize);
        long count = empty.pageCount();
        Cursor cursor = new Cursor(writer, store, empty);
        for (long start = 0; start < count; start += BATCH) {
            int n = (int) Math.min(BATCH, count - start);
            long base = start;
            ChunkId[] ids = writer.putAll(n, i -> checked(pages.apply(base + i), base + i, pageSize));
            for (int i = 0; i < n; i++) {
                if (!ids[i].isZero()) {
                    cursor.set(base + i, ids[i]);
                }
            }
        }
        return new PageTreeRoot(cursor.finish(), size, pageSize);
    }

    /**
     * Level by level on all cores: first the old nodes on the dirty paths are loaded top-down (a
     * node's old id is in its old parent), then the new nodes are written bottom-up. Each touched
     * node is read once and written once.
     */
    static PageTreeRoot update(ChunkWriter writer, ChunkStore store, PageTreeRoot base, LongFunction<byte[]> pages,
                               long[] dirty) {
        long[] sorted = unique(dirty);
        for (long d : sorted) {
            if (d < 0 || d >= base.pageCount()) {
                throw new IllegalArgumentException("dirty page " + d + " outside an image of " + base.pageCount() + " pages");
            }
        }
        if (sorted.length == 0) {
            return base;
        }
        ChunkId[] pageIds = writer.putAll(sorted.length,
                i -> checked(pages.apply(sorted[i]), sorted[i], base.pageSize()));
        int depth = base.depth();
        long[][] nodes = new long[depth + 1][];          // nodes[L]: indexes of touched nodes at level L
        ChunkId[][][] children = new ChunkId[depth + 1][][];
        for (int level = 1; level <= depth; level++) {
            long[] at = new long[sorted.length];
            for (int i = 0; i < sorted.length; i++) {
                at[i] = sorted[i] >>> (PageTree.FANOUT_BITS * level);
            }
            nodes[level] = unique(at);
            children[level] = new ChunkId[nodes[level].length][];
        }
        children[depth][0] = PageTree.decodeNode(store, base.root());
        for (int level = depth - 1; level >= 1; level--) {
            int l = level;
            Parallel.run(nodes[l].length, k -> {
                long node = nodes[l][k];
                int parent = java.util.Arrays.binarySearch(nodes[l + 1], node >>> PageTree.FANOUT_BITS);
                children[l][k] = PageTree.decodeNode(store, children[l + 1][parent][slot(node)]);
            });
        }
        for (int i = 0, k = 0; i < sorted.length; i++) {
            while (nodes[1][k] != sorted[i] >>> PageTree.FANOUT_BITS) {
                k++;
            }
            children[1][k][slot(sorted[i])] = pageIds[i];
        }
        for (int level = 1; level <= depth; level++) {
            int l = level;
            ChunkId[] written = new ChunkId[nodes[l].length];
            Parallel.run(nodes[l].length, k -> written[k] = writeNode(writer, children[l][k]));
            if (l == depth) {
                return new PageTreeRoot(written[0], base.size(), base.pageSize());
            }
            for (int k = 0, p = 0; k < nodes[l].length; k++) {
                while (nodes[l + 1][p] != nodes[l][k] >>> PageTree.FANOUT_BITS) {
                    p++;
                }
                children[l + 1][p][slot(nodes[l][k])] = written[k];
            }
        }
        throw new AssertionError("unreachable: the root level returns");
    }

    private static long[] unique(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (n == 0 || sorted[n - 1] != sorted[i]) {
                sorted[n++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, n);
    }

    private static int slot(long index) {
        return (int) (index & (PageTree.FANOUT - 1));
    }

    private static ChunkId writeNode(ChunkWriter writer, ChunkId[] node) {
        byte[] b = PageTree.encodeNode(node);
        if (b.length == 0) {
            return ChunkId.ZERO;
        }
        ChunkId id = writer.put(b);
        writer.store().nodeCache().put(id, b);
        return id;
    }

    private static byte[] checked(byte[] page, long index, int pageSize) {
        if (page != null && page.length != pageSize) {
            throw new IllegalArgumentException("page " + index + " has " + page.length + " bytes, expected " + pageSize);
        }
        return page;
    }

    /**
     * The open path from the root to the node of the last page set. Setting a page in another
     * node closes (writes) the nodes left behind, bottom-up, and opens the new path top-down,
     * reading each old node from the base tree.
     */
    private static final class Cursor {
        private final ChunkWriter writer;
        private final ChunkStore store;
        private final int depth;
        private final long[] open;
        private final ChunkId[][] entries;

        Cursor(ChunkWriter writer, ChunkStore store, PageTreeRoot base) {
            this.writer = writer;
            this.store = store;
            this.depth = base.depth();
            this.open = new long[depth + 1];
            this.entries = new ChunkId[depth + 1][];
            Arrays.fill(open, -1);
            open[depth] = 0;
            entries[depth] = PageTree.decodeNode(store, base.root());
        }

        void set(long page, ChunkId id) {
            int changed = 0;
            for (int level = depth - 1; level >= 1; level--) {
                if (open[level] != page >>> (PageTree.FANOUT_BITS * level)) {
                    changed = level;
                    break;
                }
            }
            for (int level = 1; level <= changed; level++) {
                close(level);
            }
            for (int level = changed; level >= 1; level--) {
                long node = page >>> (PageTree.FANOUT_BITS * level);
                ChunkId old = entries[level + 1][slot(node)];
                entries[level] = PageTree.decodeNode(store, old);
                open[level] = node;
            }
            entries[1][slot(page)] = id;
        }

        private void close(int level) {
            if (open[level] < 0) {
                return;
            }
            entries[level + 1][slot(open[level])] = write(entries[level]);
            open[level] = -1;
        }

        private ChunkId write(ChunkId[] node) {
            return writeNode(writer, node);
        }

        ChunkId finish() {
            for (int level = 1; level < depth; level++) {
                close(level);
            }
            return write(entries[depth]);
        }
    }
}
