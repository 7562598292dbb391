package dev.vmtree.store;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Encoded page-tree nodes (one byte array each, cheap for the garbage collector) by id, shared by every reader and writer of one repository, so a
 * process that writes version after version of an image (suspend after suspend) never reads back
 * the nodes it just wrote. Entries come from verified reads or from nodes this process hashed
 * itself; arrays in the cache are never written. Two generations approximate LRU without
 * bookkeeping: when the young one fills it becomes the old one, and a hit in the old one moves
 * the node back to the young one. Thread-safe.
 */
final class NodeCache {
    private static final int GENERATION = 1 << 14; // two generations: at most 64 MiB of encoded nodes
    private volatile ConcurrentHashMap<ChunkId, byte[]> young = new ConcurrentHashMap<>();
    private volatile ConcurrentHashMap<ChunkId, byte[]> old = new ConcurrentHashMap<>();

    byte[] get(ChunkId id) {
        byte[] n = young.get(id);
        if (n == null) {
            n = old.get(id);
            if (n != null) {
                put(id, n);
            }
        }
        return n;
    }

    void put(ChunkId id, byte[] node) {
        ConcurrentHashMap<ChunkId, byte[]> y = young;
        if (y.size() >= GENERATION) {
            synchronized (this) {
                if (young == y) {
                    old = y;
                    young = new ConcurrentHashMap<>();
                }
            }
        }
        young.put(id, node);
    }

    /** Forgets everything, e.g. when nodes hashed by an abandoned write may be in it. */
    synchronized void clear() {
        young = new ConcurrentHashMap<>();
        old = new ConcurrentHashMap<>();
    }
}
