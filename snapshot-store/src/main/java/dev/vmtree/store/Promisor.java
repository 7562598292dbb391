package dev.vmtree.store;

import dev.vmtree.store.fs.IoErrors;
import dev.vmtree.store.pack.ChunkCodec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The remote that promises the chunks a lazy clone does not hold (docs/remotes.md, "Lazy clones"):
 * a chunk absent here is fetched from it on its first read, together with a bounded read-ahead of
 * the chunks its reader will likely want next, and every record is verified against its id (record
 * header, CRC32C, LZ4 bounds, SHA-256) before it is kept or used. Installed on a
 * {@link ChunkStore} by the layer that knows the repository's configuration
 * ({@link ChunkStore#setPromisor}).
 *
 * <p>What arrives is kept in memory until the next {@link WriteTransaction#flush} of this process
 * writes it into that transaction's pack (a suspend, a commit), or the repository closes; every
 * such chunk is named by the snapshot that promised it, so gc keeps it. A process that dies first
 * loses only what it fetched, which the next read fetches again.
 *
 * <p>The remote is connected on the first fault, not when the repository opens, and dropped after
 * a failure, so the next fault connects afresh (a server that came back). A failure is a
 * {@link ChunkUnavailableException} and keeps nothing of the failed request. Threading: safe for
 * any number of threads; requests to the remote go one at a time.
 */
public final class Promisor implements AutoCloseable {
    /** A fault brings at most this many chunks: the one asked for and those its reader wants next. */
    public static final int READ_AHEAD_CHUNKS = 16;
    /** ... and at most this many bytes of them (page size times chunks: 16 RAM pages, 16 disk blocks). */
    public static final int READ_AHEAD_BYTES = 1 << 20;
    /** Above this much kept in memory, a fault tries to write it out at once (when no writer is busy). */
    static final long KEEP_IN_MEMORY = 64L << 20;

    /** Opens the remote's chunks (a connection: an SSH session, an HTTP client, another repository). */
    @FunctionalInterface
    public interface Connection {
        ChunkRemote open() throws IOException;
    }

    /** What this process has fetched so far: chunks, their record bytes as moved, and remote requests. */
    public record Faulted(long chunks, long bytes, long requests) {}

    private record Kept(byte[] record, int rawLength) {}

    private final String name;
    private final String describe;
    private final Connection connection;
    private final Map<ChunkId, Kept> kept = new ConcurrentHashMap<>();
    private final AtomicLong keptBytes = new AtomicLong();
    private final LongAdder chunks = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private ChunkRemote remote;     // guarded by this
    private volatile Repository repo;

    /**
     * @param name     the remote's name ("origin"), for messages
     * @param describe where it is (a path or URL without credentials), for messages
     */
    public Promisor(String name, String describe, Connection connection) {
        this.name = name;
        this.describe = describe;
        this.connection = connection;
    }

    public String name() {
        return name;
    }

    /** Where it is (a path or URL), for messages. */
    public String describe() {
        return describe;
    }

    /** Called by {@link Repository#setPromisor}: the repository whose writer takes what arrives. */
    void attach(Repository repository) {
        this.repo = repository;
    }

    /** What {@link #fetch} has brought in this process: the figure a benchmark of lazy start reads. */
    public Faulted faulted() {
        return new Faulted(chunks.sum(), bytes.sum(), requests.sum());
    }

    /** Whether {@code id} has arrived and waits in memory for a pack. */
    boolean holds(ChunkId id) {
        return kept.containsKey(id);
    }

    /** The chunk's bytes if it has arrived (verified when it came; the SHA-256 is checked again), else null. */
    byte[] read(ChunkId id) {
        Kept k = kept.get(id);
        if (k == null) {
            return null;
        }
        try {
            return ChunkCodec.decode(k.record(), k.record().length, id, false);
        } catch (ChunkCodec.DamagedRecordException e) {
            throw new DamagedObjectException("chunk " + id.shortHex() + " fetched from remote " + name
                    + " was damaged in memory: " + e.getMessage());
        }
    }

    /** The record of {@code id} as it arrived (verified then), or null. */
    ChunkStore.Stored stored(ChunkId id) {
        Kept k = kept.get(id);
        return k == null ? null : new ChunkStore.Stored(k.record(), k.rawLength());
    }

    /**
     * Brings every chunk of {@code ids} that has not arrived yet from the remote, in as few
     * requests as it can, verifying each record before keeping it.
     *
     * @throws ChunkUnavailableException when the remote cannot be reached, lacks one of them or
     *                                   sends a record that fails verification (nothing is kept)
     */
    synchronized void fetch(Collection<ChunkId> ids) {
        List<ChunkId> want = new ArrayList<>(new LinkedHashSet<>(ids));
        want.removeIf(id -> id.isZero() || kept.containsKey(id));
        if (want.isEmpty()) {
            return;
        }
        List<ChunkId> got = new ArrayList<>(want.size());
        List<byte[]> records = new ArrayList<>(want.size());
        ChunkRemote r = connect(want.getFirst());
        requests.increment();
        try {
            r.read(want, (id, buf, off, len) -> {
                got.add(id);
                records.add(off == 0 && len == buf.length ? buf : java.util.Arrays.copyOfRange(buf, off, off + len));
            });
        } catch (IOException | RuntimeException e) {
            drop();
            throw unavailable(want.getFirst(), e instanceof IOException io ? IoErrors.reason(io) : e.getMessage(), e);
        }
        // verified here, one by one: a fault may come from a worker of the store's pool (a save reading
        // its base tree), which must not wait for that pool while it holds this lock
        int[] raw = new int[got.size()];
        ChunkId[] bad = {null};
        String[] why = {null};
        for (int i = 0; i < got.size() && bad[0] == null; i++) {
            try {
                raw[i] = ChunkCodec.decode(records.get(i), records.get(i).length, got.get(i), true).length;
            } catch (ChunkCodec.DamagedRecordException e) {
                bad[0] = got.get(i);
                why[0] = e.getMessage();
            }
        }
        if (bad[0] != null) {
            try {
                r.distrust(bad[0]);
            } catch (IOException | RuntimeException ignored) {
                // what it had cached is dropped with the connection below anyway
            }
            drop();
            throw new ChunkUnavailableException("remote " + name + " (" + describe + ") sent chunk " + bad[0].hex()
                    + " damaged or forged (" + why[0] + "); nothing of it was kept");
        }
        if (!new java.util.HashSet<>(got).containsAll(want)) {
            drop();
            throw unavailable(want.getFirst(), "it did not send every chunk asked for", null);
        }
        for (int i = 0; i < got.size(); i++) {
            if (kept.putIfAbsent(got.get(i), new Kept(records.get(i), raw[i])) == null) {
                keptBytes.addAndGet(records.get(i).length);
                chunks.increment();
                bytes.add(records.get(i).length);
            }
        }
    }

    private ChunkRemote connect(ChunkId first) {
        if (remote == null) {
            try {
                remote = connection.open();
            } catch (IOException | RuntimeException e) {
                throw unavailable(first, e instanceof IOException io ? IoErrors.reason(io) : e.getMessage(), e);
            }
        }
        return remote;
    }

    private ChunkUnavailableException unavailable(ChunkId id, String reason, Throwable cause) {
        return new ChunkUnavailableException("chunk " + id.shortHex() + " is promised by remote " + name + " ("
                + describe + "), which cannot give it: " + firstLine(reason), cause);
    }

    private static String firstLine(String s) {
        String m = String.valueOf(s);
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Forgets the connection after a failure (closing what can be closed), so the next fault reconnects. */
    private void drop() {
        ChunkRemote r = remote;
        remote = null;
        if (r != null) {
            try {
                r.close();
            } catch (IOException | RuntimeException ignored) {
                // a broken connection may not close cleanly; it is forgotten either way
            }
        }
    }

    /** Bytes of arrived records not yet in a pack. */
    long keptBytes() {
        return keptBytes.get();
    }

    /**
     * Appends every arrived chunk the store does not hold yet to {@code writer}'s pack and returns
     * them; the caller {@link #written forgets} them once that pack is durable.
     */
    List<ChunkId> copyInto(ChunkWriter writer, ChunkStore store) {
        List<ChunkId> copied = new ArrayList<>();
        for (var e : kept.entrySet()) {
            if (!writer.hasPending(e.getKey()) && store.locate(e.getKey()) == null) {
                writer.copy(e.getKey(), e.getValue().record(), e.getValue().rawLength());
            }
            copied.add(e.getKey());
        }
        return copied;
    }

    /** The chunks of {@link #copyInto} are durable in a published pack: memory may let them go. */
    void written(List<ChunkId> ids) {
        for (ChunkId id : ids) {
            Kept k = kept.remove(id);
            if (k != null) {
                keptBytes.addAndGet(-k.record().length);
            }
        }
    }

    /**
     * After a fault: when more than {@link #KEEP_IN_MEMORY} waits in memory and no writer of this
     * process is open (its flush would take it), writes it out now if the lock is free at once.
     */
    void writeOutIfLarge() {
        Repository r = repo;
        if (r != null && keptBytes.get() > KEEP_IN_MEMORY && !r.chunks().writing()) {
            writeOut(r, Duration.ZERO);
        }
    }

    /**
     * Writes what arrived into the repository now, if its writer lock is free within {@code wait};
     * otherwise keeps it in memory (the next flush of a writer takes it). Never throws for a busy
     * or failing store: what arrived can always be fetched again.
     */
    void writeOut(Repository repo, Duration wait) {
        if (kept.isEmpty()) {
            return;
        }
        try (WriteTransaction tx = repo.beginWrite(wait, m -> {})) {
            tx.flush();
        } catch (StoreException e) {
            // busy, read-only or full: the chunks stay in memory, or are fetched again by a later process
        }
    }

    /** Closes the connection, if one is open. Arrived chunks not written out are dropped. */
    @Override
    public synchronized void close() {
        drop();
    }

    @Override
    public String toString() {
        return "Promisor[" + name + " " + describe + "]";
    }
}
