package dev.vmtree.store;

import dev.vmtree.store.fs.FileLayer;
import dev.vmtree.store.fs.FileLayer.ReadableFile;
import dev.vmtree.store.pack.ChunkCodec;
import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Content-addressed chunks in append-only packs under {@code .vmtree/chunks}. A pack becomes
 * visible when its index is renamed into place, so readers never lock: they load the published
 * indexes and, on a miss, look again. Every read verifies the chunk's SHA-256.
 *
 * <p>Threading: safe for any number of reader threads; writes go through one {@link ChunkWriter}
 * at a time, created under the repository's writer lock.
 */
public final class ChunkStore implements AutoCloseable {

    /** A published pack: its name (without suffix) and its loaded index. */
    public record Pack(String name, PackIndex index, long indexFileSize) {}

    /** A file the store could not use, and why. */
    public record DamagedFile(Path file, String reason) {
        @Override
        public String toString() {
            return file + ": " + reason;
        }
    }

    private record Snapshot(List<Pack> packs, List<DamagedFile> damaged) {}

    /** Where a chunk lives. */
    public record Location(Pack pack, int entry) {
        public long offset() {
            return pack.index().offset(entry);
        }
    }

    private final FileLayer fs;
    private final Path dir;
    private volatile Snapshot snapshot = new Snapshot(List.of(), List.of());
    private final Map<String, ReadableFile> openPacks = new ConcurrentHashMap<>();
    private volatile ChunkWriter writer;
    private final NodeCache nodeCache = new NodeCache();
    /** Where chunks absent here are fetched from (a lazy clone's remote), or null. */
    private volatile Promisor promisor;

    ChunkStore(FileLayer fs, Path dir) {
        this.fs = fs;
        this.dir = dir;
        refresh();
    }

    public Path directory() {
        return dir;
    }

    FileLayer files() {
        return fs;
    }

    public Path packPath(String name) {
        return dir.resolve(name + PackFormat.PACK_SUFFIX);
    }

    public Path indexPath(String name) {
        return dir.resolve(name + PackFormat.INDEX_SUFFIX);
    }

    /** Published packs, as of the last refresh. */
    public List<Pack> packs() {
        return snapshot.packs();
    }

    /** Index files that could not be loaded at the last refresh. */
    public List<DamagedFile> damagedIndexes() {
        return snapshot.damaged();
    }

    NodeCache nodeCache() {
        return nodeCache;
    }

    void setWriter(ChunkWriter w) {
        this.writer = w;
    }

    /** Whether a writer of this process is open (its flush takes what the promisor brought). */
    boolean writing() {
        return writer != null;
    }

    void setPromisor(Promisor p) {
        this.promisor = p;
    }

    /** The remote that promises the chunks absent here, or null (see {@link Repository#setPromisor}). */
    public Promisor promisor() {
        return promisor;
    }

    /** Loads indexes published since the last look (by this or another process). */
    public synchronized void refresh() {
        Map<String, Pack> known = new HashMap<>();
        for (Pack p : snapshot.packs()) {
            known.put(p.name(), p);
        }
        List<Pack> packs = new ArrayList<>();
        List<DamagedFile> damaged = new ArrayList<>();
        List<String> names;
        try {
            names = new ArrayList<>(fs.list(dir));
        } catch (IOException e) {
            throw new StoreException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (names.isEmpty() && !fs.exists(dir)) {
            // Every chunk lives here: carrying on would report each one missing, or let a write start afresh.
            throw new StoreException("damaged repository: " + dir + " is missing (it holds every chunk); restore it"
                    + " from a backup, or recreate it empty (mkdir) and run `vmtree fsck` to see what is lost");
        }
        names.sort(null);
        for (String file : names) {
            if (!file.endsWith(PackFormat.INDEX_SUFFIX)) {
                continue;
            }
            String name = file.substring(0, file.length() - PackFormat.INDEX_SUFFIX.length());
            Path idx = dir.resolve(file);
            try (ReadableFile f = fs.openRead(idx)) {
                Pack old = known.get(name);
                if (old != null && old.indexFileSize() == f.size()) {
                    packs.add(old);
                    continue;
                }
            } catch (IOException e) {
                continue; // deleted by gc between list and open: it is no longer published
            }
            try {
                byte[] bytes = fs.readAll(idx);
                PackIndex index = PackIndex.decode(bytes);
                Path pack = packPath(name);
                long packSize;
                try (ReadableFile pf = fs.openRead(pack)) {
                    packSize = pf.size();
                }
                if (packSize < index.packLength()) {
                    damaged.add(new DamagedFile(pack, "truncated: " + packSize + " bytes, index covers "
                            + index.packLength()));
                    continue;
                }
                packs.add(new Pack(name, index, bytes.length));
            } catch (IllegalArgumentException e) {
                damaged.add(new DamagedFile(idx, "damaged pack index (" + e.getMessage() + ")"));
            } catch (IOException e) {
                damaged.add(new DamagedFile(idx, "unreadable (" + e + ")"));
            }
        }
        snapshot = new Snapshot(List.copyOf(packs), List.copyOf(damaged));
    }

    /** Where a published chunk lives, or null. */
    public Location locate(ChunkId id) {
        for (Pack p : snapshot.packs()) {
            int i = p.index().find(id);
            if (i >= 0) {
                return new Location(p, i);
            }
        }
        return null;
    }

    /**
     * True when the chunk is stored (published, or written by this process's open writer, or
     * fetched by the promisor and waiting for that writer's flush); ZERO always is.
     */
    public boolean contains(ChunkId id) {
        if (id.isZero() || locate(id) != null) {
            return true;
        }
        ChunkWriter w = writer;
        if (w != null && w.hasPending(id)) {
            return true;
        }
        Promisor p = promisor;
        return p != null && p.holds(id);
    }

    /**
     * Returns the chunk's bytes after verifying their SHA-256; {@link ChunkId#ZERO} is not a chunk
     * (callers know the size of the zeros they mean). A chunk absent here is fetched from the
     * {@link #promisor()}, when there is one.
     *
     * @throws StoreException naming the chunk and the damaged or missing file
     * @throws ChunkUnavailableException when the chunk is absent and its promisor cannot give it now
     */
    public byte[] read(ChunkId id) {
        return read(id, null);
    }

    /**
     * {@link #read(ChunkId)}, and when the chunk must be fetched from the promisor, those of
     * {@code ahead} (asked only then: the chunks its reader will likely want next, such as the next
     * pages of an image) that are absent too come in the same request.
     */
    public byte[] read(ChunkId id, java.util.function.Supplier<? extends java.util.Collection<ChunkId>> ahead) {
        ChunkWriter w = writer;
        if (w != null && w.hasPending(id)) {
            byte[] b = w.readPending(id);
            if (b != null) {
                return b;
            }
        }
        Location loc = locate(id);
        if (loc == null) {
            Promisor p = promisor;
            byte[] arrived = p == null ? null : p.read(id);
            if (arrived != null) {
                return arrived;
            }
            refresh();
            loc = locate(id);
            if (loc == null && p != null) {
                return fault(p, id, ahead);
            }
        }
        if (loc == null) {
            String hint = snapshot.damaged().isEmpty() ? "" : "; damaged: " + snapshot.damaged().getFirst();
            throw new StoreException("chunk " + id.shortHex() + " is missing from " + dir + hint);
        }
        if (!fs.exists(packPath(loc.pack().name())) && !openPacks.containsKey(loc.pack().name())) {
            // gc in another process replaced the pack since we last looked: look again.
            refresh();
            Location again = locate(id);
            loc = again != null ? again : loc;
        }
        try {
            return readAt(loc, false);
        } catch (ChunkCodec.DamagedRecordException e) {
            throw new DamagedObjectException("chunk " + id.shortHex() + " is damaged: " + e.getMessage() + " ("
                    + packPath(loc.pack().name()) + " at offset " + loc.offset() + ")");
        }
    }

    /** Fetches {@code id} (and what of {@code ahead} is absent too) from the promisor, verified; returns its bytes. */
    private byte[] fault(Promisor p, ChunkId id, java.util.function.Supplier<? extends java.util.Collection<ChunkId>> ahead) {
        List<ChunkId> want = new ArrayList<>();
        want.add(id);
        if (ahead != null) {
            for (ChunkId a : ahead.get()) {
                if (!a.isZero() && !contains(a)) {
                    want.add(a);
                }
            }
        }
        p.fetch(want);
        byte[] b = p.read(id);
        p.writeOutIfLarge();
        return b != null ? b : read(id, null);   // written out by another thread meanwhile: it is in a pack now
    }

    /** Receives chunk {@code i} of a {@link #readMany} call; called from several threads at once. */
    @FunctionalInterface
    public interface ChunkConsumer {
        void accept(int i, byte[] data);
    }

    private static final int RUN_GAP = 64 << 10;
    private static final int RUN_MAX = 2 << 20;

    /**
     * Reads {@code ids[i]} for every i on all cores, each verified, reading records that lie close
     * together in a pack with one call (a page tree's pages usually sit in order in one pack).
     */
    public void readMany(ChunkId[] ids, ChunkConsumer action) {
        int n = ids.length;
        Location[] locs = new Location[n];
        List<Integer> single = new ArrayList<>();
        faultAbsent(ids);
        ChunkWriter w = writer;
        for (int i = 0; i < n; i++) {
            if (w != null && w.hasPending(ids[i])) {
                single.add(i);
                continue;
            }
            locs[i] = locate(ids[i]);
            if (locs[i] == null) {
                single.add(i); // read() refreshes, then names what is missing
            }
        }
        Integer[] order = new Integer[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (locs[i] != null) {
                order[m++] = i;
            }
        }
        Integer[] sorted = java.util.Arrays.copyOf(order, m);
        java.util.Arrays.sort(sorted, (a, b) -> {
            int c = locs[a].pack().name().compareTo(locs[b].pack().name());
            return c != 0 ? c : Long.compare(locs[a].offset(), locs[b].offset());
        });
        List<int[]> runs = new ArrayList<>(); // [from, to) in sorted
        for (int k = 0; k < m; ) {
            int from = k;
            Location first = locs[sorted[k]];
            long end = first.offset() + first.pack().index().recordLength(first.entry());
            k++;
            while (k < m) {
                Location l = locs[sorted[k]];
                long lend = l.offset() + l.pack().index().recordLength(l.entry());
                if (l.pack() != first.pack() || l.offset() - end > RUN_GAP || lend - first.offset() > RUN_MAX) {
                    break;
                }
                end = Math.max(end, lend);
                k++;
            }
            runs.add(new int[] {from, k});
        }
        Parallel.run(runs.size() + single.size(), r -> {
            if (r >= runs.size()) {
                int i = single.get(r - runs.size());
                action.accept(i, read(ids[i]));
                return;
            }
            int[] run = runs.get(r);
            Location first = locs[sorted[run[0]]];
            Location last = locs[sorted[run[1] - 1]];
            long start = first.offset();
            long stop = start;
            for (int k = run[0]; k < run[1]; k++) {
                Location l = locs[sorted[k]];
                stop = Math.max(stop, l.offset() + l.pack().index().recordLength(l.entry()));
            }
            byte[] buf;
            try {
                buf = readRecord(first.pack().name(), start, (int) (stop - start));
            } catch (ChunkCodec.DamagedRecordException e) {
                throw new StoreException("pack " + packPath(last.pack().name()) + " is truncated near offset " + start);
            }
            for (int k = run[0]; k < run[1]; k++) {
                int i = sorted[k];
                Location l = locs[i];
                try {
                    action.accept(i, ChunkCodec.decode(buf, (int) (l.offset() - start),
                            l.pack().index().recordLength(l.entry()), ids[i], false));
                } catch (ChunkCodec.DamagedRecordException e) {
                    throw new DamagedObjectException("chunk " + ids[i].shortHex() + " is damaged: " + e.getMessage() + " ("
                            + packPath(l.pack().name()) + " at offset " + l.offset() + ")");
                }
            }
        });
    }

    /** A chunk's record as stored (header, payload, checksum: docs/format.md) and its raw length. */
    record Stored(byte[] record, int rawLength) {}

    /**
     * The record of {@code id} as stored, for code that ships records as they are (push, bundles):
     * from its pack, or as the promisor fetched it and no pack holds it yet; null when absent.
     * Not verified here: the caller decodes it before shipping.
     */
    Stored stored(ChunkId id) throws ChunkCodec.DamagedRecordException {
        Location loc = locate(id);
        if (loc != null) {
            PackIndex idx = loc.pack().index();
            return new Stored(readRecord(loc.pack().name(), loc.offset(), idx.recordLength(loc.entry())),
                    idx.rawLength(loc.entry()));
        }
        Promisor p = promisor;
        return p == null ? null : p.stored(id);
    }

    /** Brings those of {@code ids} that are absent here from the promisor, if there is one (a lazy clone pushing). */
    void fetchAbsent(java.util.Collection<ChunkId> ids) {
        faultAbsent(ids.toArray(ChunkId[]::new));
    }

    /** Requests of {@link #faultAbsent} ask the promisor for at most this many chunks each. */
    private static final int FAULT_BATCH = 256;

    /** Brings the chunks of {@code ids} that are absent here from the promisor, in batches, before a {@link #readMany}. */
    private void faultAbsent(ChunkId[] ids) {
        Promisor p = promisor;
        if (p == null) {
            return;
        }
        List<ChunkId> absent = new ArrayList<>();
        boolean refreshed = false;
        for (ChunkId id : ids) {
            if (!contains(id)) {
                if (!refreshed) {
                    refresh();
                    refreshed = true;
                    if (contains(id)) {
                        continue;
                    }
                }
                absent.add(id);
            }
        }
        for (int from = 0; from < absent.size(); from += FAULT_BATCH) {
            p.fetch(absent.subList(from, Math.min(absent.size(), from + FAULT_BATCH)));
            p.writeOutIfLarge();
        }
    }

    /** Reads and decodes one record; with {@code checkCrc} also verifies the record checksum. */
    public byte[] readAt(Location loc, boolean checkCrc) throws ChunkCodec.DamagedRecordException {
        PackIndex idx = loc.pack().index();
        int len = idx.recordLength(loc.entry());
        byte[] rec = readRecord(loc.pack().name(), idx.offset(loc.entry()), len);
        return ChunkCodec.decode(rec, len, idx.id(loc.entry()), checkCrc);
    }

    byte[] readRecord(String pack, long offset, int len) throws ChunkCodec.DamagedRecordException {
        byte[] rec = new byte[len];
        ByteBuffer bb = ByteBuffer.wrap(rec);
        try {
            ReadableFile f = openPacks.get(pack);
            if (f == null) {
                f = openPacks.computeIfAbsent(pack, n -> {
                    try {
                        return fs.openRead(packPath(n));
                    } catch (IOException e) {
                        throw new StoreException("cannot open " + packPath(n) + ": " + e.getMessage(), e);
                    }
                });
            }
            while (bb.hasRemaining()) {
                if (f.read(bb, offset + bb.position()) < 0) {
                    throw new ChunkCodec.DamagedRecordException("pack truncated");
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot read " + packPath(pack) + ": " + e.getMessage(), e);
        }
        return rec;
    }

    /** Forgets open handles of packs that gc removed. */
    void closePacks(List<String> names) {
        for (String n : names) {
            ReadableFile f = openPacks.remove(n);
            if (f != null) {
                try {
                    f.close();
                } catch (IOException ignored) {
                    // closing a read handle loses nothing
                }
            }
        }
    }

    @Override
    public void close() {
        closePacks(List.copyOf(openPacks.keySet()));
    }
}
