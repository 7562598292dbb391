package dev.vmtree.store;

import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * Writes page trees: a whole image, or a new version of one from its previous tree and the set
 * of changed pages. Only the changed pages and the nodes on their paths to the root are hashed
 * and stored, so a version costs O(dirty pages · depth). Pages are hashed and compressed on all
 * cores; nodes are assembled on the calling thread by a cursor that walks the sorted dirty pages
 * left to right, loading each old node once and writing each new node once.
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

    static PageTreeRoot update(ChunkWriter writer, ChunkStore store, PageTreeRoot base, LongFunction<byte[]> pages,
                               long[] dirty) {
        long[] sorted = dirty.clone();
        Arrays.sort(sorted);
        int unique = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || sorted[i] >= base.pageCount()) {
                throw new IllegalArgumentException("dirty page " + sorted[i] + " outside an image of "
                        + base.pageCount() + " pages");
            }
            if (unique == 0 || sorted[unique - 1] != sorted[i]) {
                sorted[unique++] = sorted[i];
            }
        }
        Cursor cursor = new Cursor(writer, store, base);
        for (int start = 0; start < unique; start += BATCH) {
            int n = Math.min(BATCH, unique - start);
            int from = start;
            ChunkId[] ids = writer.putAll(n, i -> checked(pages.apply(sorted[from + i]), sorted[from + i], base.pageSize()));
            for (int i = 0; i < n; i++) {
                cursor.set(sorted[from + i], ids[i]);
            }
        }
        return new PageTreeRoot(cursor.finish(), base.size(), base.pageSize());
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

        private static int slot(long index) {
            return (int) (index & (PageTree.FANOUT - 1));
        }

        private void close(int level) {
            if (open[level] < 0) {
                return;
            }
            entries[level + 1][slot(open[level])] = write(entries[level]);
            open[level] = -1;
        }

        private ChunkId write(ChunkId[] node) {
            byte[] b = PageTree.encodeNode(node);
            return b.length == 0 ? ChunkId.ZERO : writer.put(b);
        }

        ChunkId finish() {
            for (int level = 1; level < depth; level++) {
                close(level);
            }
            return write(entries[depth]);
        }
    }
}
