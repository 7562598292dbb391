package dev.vmtree.store;

import dev.vmtree.store.fs.FileLayer.WritableFile;
import dev.vmtree.store.pack.ChunkCodec;
import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * Appends new chunks to one new pack. Hashing and compression run on the caller's threads (or on
 * all cores through {@link #putAll}); only the append itself is serialized. Nothing is visible to
 * other processes, nor durable, until {@link #flush()}: fsync the pack, then publish its index
 * by an atomic rename, then fsync the directory. Created by a {@link WriteTransaction} only.
 */
public final class ChunkWriter implements AutoCloseable {

    private static final int BUFFER = 8 << 20;

    private final ChunkStore store;
    private String name;          // the open pack, or null until the next append
    private WritableFile file;
    private final ConcurrentHashMap<ChunkId, PackIndex.Entry> pending = new ConcurrentHashMap<>();
    private int written;          // chunks appended by this writer, over all its packs
    private final Object appendLock = new Object();
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
    private long fileLength;  // bytes handed to the file
    private long end;         // logical end: fileLength + buffered bytes
    private long storedBytes;
    private long syncRequested;  // bytes handed to a background fsync
    private java.util.concurrent.Future<?> backgroundSync;

    /** Start writeback of a big pack early so the fsync at flush has only the tail left to wait for. */
    private static final long EARLY_SYNC = Long.getLong("vmtree.store.earlySyncMiB", 32) << 20;
    private static final java.util.concurrent.ExecutorService SYNCER = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vmtree-pack-sync");
        t.setDaemon(true);
        return t;
    });

    ChunkWriter(ChunkStore store) {
        this.store = store;
    }

    /** Starts a new pack; called under the append lock. */
    private void openPack() {
        byte[] rnd = new byte[16];
        ThreadLocalRandom.current().nextBytes(rnd);
        name = "pack-" + HexFormat.of().formatHex(rnd);
        try {
            store.files().createDirectories(store.directory());
            file = store.files().create(store.packPath(name));
            file.write(ByteBuffer.wrap(PackFormat.packHeader()));
        } catch (IOException e) {
            throw new StoreException("cannot create a pack in " + store.directory() + ": " + e.getMessage(), e);
        }
        fileLength = end = PackFormat.PACK_HEADER;
    }

    /** Stores {@code data[off, off+len)} unless it is all zero or already stored; returns its id. */
    public ChunkId put(byte[] data, int off, int len) {
        if (len > PackFormat.MAX_CHUNK) {
            throw new IllegalArgumentException("chunk of " + len + " bytes exceeds " + PackFormat.MAX_CHUNK);
        }
        if (ChunkCodec.isZero(data, off, len)) {
            return ChunkId.ZERO;
        }
        ChunkId id = ChunkId.hash(data, off, len);
        if (pending.containsKey(id) || store.locate(id) != null) {
            return id;
        }
        byte[] rec = ChunkCodec.encode(id, data, off, len);
        append(id, rec, len);
        return id;
    }

    public ChunkId put(byte[] data) {
        return put(data, 0, data.length);
    }

    /**
     * Stores {@code n} chunks in parallel over all cores; {@code source} must be thread-safe and
     * may return null for an all-zero chunk. Returns the ids in order.
     */
    public ChunkId[] putAll(int n, IntFunction<byte[]> source) {
        ChunkId[] ids = new ChunkId[n];
        Parallel.run(n, i -> {
            byte[] d = source.apply(i);
            ids[i] = d == null ? ChunkId.ZERO : put(d);
        });
        return ids;
    }

    private void append(ChunkId id, byte[] rec, int rawLength) {
        synchronized (appendLock) {
            // put() checked without the lock; two threads may have hashed the same new chunk.
            if (pending.containsKey(id)) {
                return;
            }
            if (name == null) {
                openPack();
            }
            try {
                if (buffer.remaining() < rec.length) {
                    drain();
                }
                if (rec.length > buffer.capacity()) {
                    file.write(ByteBuffer.wrap(rec));
                    fileLength += rec.length;
                } else {
                    buffer.put(rec);
                }
            } catch (IOException e) {
                throw new StoreException("cannot write " + store.packPath(name) + ": " + e.getMessage(), e);
            }
            pending.put(id, new PackIndex.Entry(id, end, rec.length, rawLength));
            end += rec.length;
            storedBytes += rec.length;
            written++;
        }
    }

    private void drain() throws IOException {
        buffer.flip();
        fileLength += buffer.remaining();
        file.write(buffer);
        buffer.clear();
        if (EARLY_SYNC > 0 && fileLength - syncRequested >= EARLY_SYNC && (backgroundSync == null || backgroundSync.isDone())) {
            syncRequested = fileLength;
            WritableFile f = file;
            backgroundSync = SYNCER.submit(() -> {
                f.fsync();
                return null;
            });
        }
    }

    /** Waits for an early fsync in flight; its failure fails the flush. */
    private void awaitBackgroundSync() throws IOException {
        if (backgroundSync == null) {
            return;
        }
        try {
            backgroundSync.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            backgroundSync = null;
            syncRequested = 0;
        }
    }

    /** Appends a record copied verbatim from another pack (gc). */
    void copy(ChunkId id, byte[] rec, int rawLength) {
        append(id, rec, rawLength);
    }

    ChunkStore store() {
        return store;
    }

    /** The open pack's name, or null. */
    String name() {
        synchronized (appendLock) {
            return name;
        }
    }

    boolean hasPending(ChunkId id) {
        return pending.containsKey(id);
    }

    /** The chunk if this writer holds it unflushed, else null. */
    byte[] readPending(ChunkId id) {
        byte[] rec;
        synchronized (appendLock) {
            PackIndex.Entry e = pending.get(id);
            if (e == null) {
                return null;
            }
            if (e.offset() >= fileLength) {
                rec = Arrays.copyOfRange(buffer.array(), (int) (e.offset() - fileLength),
                        (int) (e.offset() - fileLength) + e.recordLength());
            } else {
                try {
                    drain();
                    rec = store.readRecord(name, e.offset(), e.recordLength());
                } catch (IOException | ChunkCodec.DamagedRecordException ex) {
                    throw new StoreException("cannot read back " + store.packPath(name) + ": " + ex.getMessage(), ex);
                }
            }
        }
        try {
            return ChunkCodec.decode(rec, rec.length, id, true);
        } catch (ChunkCodec.DamagedRecordException ex) {
            throw new StoreException("chunk " + id.shortHex() + " damaged in memory: " + ex.getMessage());
        }
    }

    /** Chunks this writer appended (new to the store). */
    public int newChunks() {
        synchronized (appendLock) {
            return written;
        }
    }

    /** Bytes this writer appended to its pack. */
    public long storedBytes() {
        synchronized (appendLock) {
            return storedBytes;
        }
    }

    /**
     * Makes every chunk appended so far durable and visible: fsync the pack, write the index to a
     * temporary file, fsync it, rename it into place, fsync the directory. A crash before the
     * rename leaves an unindexed tail that readers ignore and gc removes.
     */
    public void flush() {
        synchronized (appendLock) {
            if (name == null) {
                return;
            }
            try {
                drain();
                awaitBackgroundSync();
                // The pack and the new index are fsynced at once (two flushes in flight, one wait);
                // the rename that publishes the index comes only after both are durable.
                WritableFile pack = file;
                java.util.concurrent.Future<?> packSync = SYNCER.submit(() -> {
                    pack.fsync();
                    return null;
                });
                byte[] idx = PackIndex.encode(pending.values().toArray(PackIndex.Entry[]::new), end);
                java.nio.file.Path tmp = store.directory().resolve(name + PackFormat.INDEX_SUFFIX + ".tmp");
                try (WritableFile w = store.files().create(tmp)) {
                    w.write(ByteBuffer.wrap(idx));
                    w.fsync();
                } finally {
                    backgroundSync = packSync;
                    awaitBackgroundSync();
                }
                file.close();
                store.files().rename(tmp, store.indexPath(name));
                store.files().fsyncDirectory(store.directory());
            } catch (IOException | UncheckedIOException e) {
                throw new StoreException("cannot make " + store.packPath(name) + " durable: " + e.getMessage(), e);
            }
            // The pack is sealed and published: later chunks start a new one.
            store.refresh();
            pending.clear();
            name = null;
            file = null;
        }
    }

    /** Closes the open pack; chunks not flushed are abandoned and their pack deleted. */
    @Override
    public void close() {
        synchronized (appendLock) {
            if (name == null) {
                return;
            }
            try {
                try {
                    awaitBackgroundSync();
                } catch (IOException ignored) {
                    // the pack is being abandoned anyway
                }
                file.close();
                store.files().delete(store.packPath(name));
                store.nodeCache().clear(); // it may hold nodes that were never stored
            } catch (IOException e) {
                throw new StoreException("cannot close " + store.packPath(name) + ": " + e.getMessage(), e);
            } finally {
                name = null;
                pending.clear();
            }
        }
    }
}
