package dev.vmtree.store;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Decoded page-tree nodes by id, shared by every reader and writer of one repository, so a
 * process that writes version after version of an image (suspend after suspend) never reads back
 * the nodes it just wrote. Entries come from verified reads or from nodes this process hashed
 * itself; arrays in the cache are never written. Bounded crudely: full means cleared.
 * Thread-safe.
 */
final class NodeCache {
    private static final int MAX_NODES = 1 << 15; // about 90 MB of ChunkId arrays at most
    private final ConcurrentHashMap<ChunkId, ChunkId[]> nodes = new ConcurrentHashMap<>();

    ChunkId[] get(ChunkId id) {
        return nodes.get(id);
    }

    void put(ChunkId id, ChunkId[] children) {
        if (nodes.size() >= MAX_NODES) {
            nodes.clear();
        }
        nodes.put(id, children);
    }

    /** Forgets everything, e.g. when nodes hashed by an abandoned write may be in it. */
    void clear() {
        nodes.clear();
    }
}
