package dev.vmtree.store;

import dev.vmtree.store.fs.OwnerOnly;
import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import dev.vmtree.store.remote.RemoteFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chunks of a remote layout (docs/format.md, "Remote layout") reached through
 * {@link RemoteFiles}: its published packs, found by listing {@code chunks/} (or, where the
 * transport cannot list, from the {@code chunks/packs} file), read by ranges; uploads as new packs,
 * each pack before its index and both through a temporary name. Pack indexes are immutable, so
 * each is fetched once and kept in {@code cache} (under {@code .vmtree/remotes/NAME/}): a fetch of a
 * small update moves only the new indexes.
 */
public final class PackFileChunks implements ChunkRemote {
    /** Adjacent records are read in one request when the gap between them is at most this. */
    static final int GAP = 64 << 10;
    /** One read request covers at most this much of a pack. */
    static final int RANGE = 8 << 20;
    /** An upload is published in packs of about this size, so an interrupted push keeps what went. */
    static final long PIECE = 32L << 20;
    static final int MAX_LISTING = 4 << 20;
    private static final java.util.regex.Pattern PACK_NAME = java.util.regex.Pattern.compile("pack-[0-9a-f]{1,64}");

    private final RemoteFiles files;
    private final String chunksDir;
    private final Path cache;
    private final Map<String, PackIndex> packs = new LinkedHashMap<>();
    private boolean loaded;

    /**
     * @param store the remote's store directory relative to its root ("" for a bare layout,
     *              ".vmtree/" for a repository with a working directory)
     */
    public PackFileChunks(RemoteFiles files, String store, Path cache) {
        this.files = files;
        this.chunksDir = store + "chunks";
        this.cache = cache;
    }

    /** Loads the index of every pack published on the remote, from the cache where it is there. */
    void load() throws IOException {
        List<String> names = files.list(chunksDir);
        if (names == null) {
            names = listing();
        }
        Files.createDirectories(cache);
        for (String file : names) {
            if (!file.endsWith(PackFormat.INDEX_SUFFIX) || !file.startsWith("pack-")) {
                continue;
            }
            String name;
            try {
                name = RemoteFiles.checkName(file.substring(0, file.length() - PackFormat.INDEX_SUFFIX.length()));
            } catch (IllegalArgumentException e) {
                throw new TransferException(files.describe() + " lists " + e.getMessage().replace("not a usable file name: ", "a bad pack name "));
            }
            if (packs.containsKey(name)) {
                continue;
            }
            Path cached = cache.resolve(file);
            byte[] bytes;
            if (Files.isRegularFile(cached)) {
                bytes = Files.readAllBytes(cached);
            } else {
                try {
                    bytes = files.readAll(chunksDir + "/" + file, (int) Bundle.MAX_INDEX);
                } catch (NoSuchFileException e) {
                    continue; // removed by gc there between the listing and the read
                } catch (RemoteFiles.TooLargeException e) {
                    throw new TransferException(files.describe() + ": " + e.getMessage());
                }
            }
            PackIndex idx;
            try {
                idx = PackIndex.decode(bytes);
            } catch (IllegalArgumentException e) {
                throw new TransferException(files.describe() + ": " + chunksDir + "/" + file + " is not a pack index: "
                        + e.getMessage());
            }
            if (!Files.isRegularFile(cached)) {
                keep(cached, bytes);
            }
            packs.put(name, idx);
        }
        loaded = true;
    }

    private List<String> listing() throws IOException {
        byte[] b;
        try {
            b = files.readAll(chunksDir + "/packs", MAX_LISTING);
        } catch (NoSuchFileException e) {
            throw new TransferException(files.describe() + " is not a vmtree remote: it has no " + chunksDir + "/packs");
        } catch (RemoteFiles.TooLargeException e) {
            throw new TransferException(files.describe() + ": " + e.getMessage());
        }
        List<String> out = new ArrayList<>();
        for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith(StaticLayout.PACKS_HEADER)) {
                String v = line.substring(StaticLayout.PACKS_HEADER.length()).strip();
                if (!v.matches("[0-9]{1,9}") || Integer.parseInt(v) > StaticLayout.VERSION) {
                    throw new TransferException(files.describe() + ": " + chunksDir + "/packs is of layout version '"
                            + RemoteFiles.shown(v) + "', which this vmtree does not read (it reads "
                            + StaticLayout.VERSION + ")");
                }
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String name = line.strip();
            if (!PACK_NAME.matcher(name).matches()) {
                throw new TransferException(files.describe() + ": " + chunksDir + "/packs lists a bad pack name '"
                        + RemoteFiles.shown(name) + "'");
            }
            out.add(name + PackFormat.INDEX_SUFFIX);
        }
        return out;
    }

    private void keep(Path cached, byte[] bytes) throws IOException {
        Path tmp = cached.resolveSibling(cached.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        OwnerOnly.restrict(tmp);
        Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void ensureLoaded() throws IOException {
        if (!loaded) {
            load();
        }
    }

    /** The names of the packs the remote publishes, as of the last load. */
    public List<String> packNames() throws IOException {
        ensureLoaded();
        return List.copyOf(packs.keySet());
    }

    @Override
    public boolean has(ChunkId id) throws IOException {
        ensureLoaded();
        for (PackIndex idx : packs.values()) {
            if (idx.find(id) >= 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void distrust(ChunkId id) throws IOException {
        for (var it = packs.entrySet().iterator(); it.hasNext(); ) {
            var p = it.next();
            if (p.getValue().find(id) >= 0) {
                Files.deleteIfExists(cache.resolve(p.getKey() + PackFormat.INDEX_SUFFIX));
                it.remove();
            }
        }
        loaded = false;
    }

    private record Where(String pack, PackIndex idx, int entry) {
        long offset() {
            return idx.offset(entry);
        }

        long end() {
            return idx.offset(entry) + idx.recordLength(entry);
        }
    }

    @Override
    public void read(Collection<ChunkId> ids, RecordConsumer out) throws IOException {
        ensureLoaded();
        List<Where> wanted = new ArrayList<>(ids.size());
        for (ChunkId id : ids) {
            Where w = null;
            for (var p : packs.entrySet()) {
                int i = p.getValue().find(id);
                if (i >= 0) {
                    w = new Where(p.getKey(), p.getValue(), i);
                    break;
                }
            }
            if (w == null) {
                throw new TransferException(files.describe() + " lacks chunk " + id.hex() + ", which its snapshots need");
            }
            wanted.add(w);
        }
        wanted.sort(Comparator.comparing(Where::pack).thenComparingLong(Where::offset));
        List<Range> ranges = new ArrayList<>();
        int i = 0;
        while (i < wanted.size()) {
            Where first = wanted.get(i);
            int j = i + 1;
            long end = first.end();
            while (j < wanted.size() && wanted.get(j).pack().equals(first.pack())
                    && wanted.get(j).offset() >= end && wanted.get(j).offset() - end <= GAP
                    && wanted.get(j).end() - first.offset() <= RANGE) {
                end = wanted.get(j).end();
                j++;
            }
            ranges.add(new Range(wanted.subList(i, j), first.offset(), end));
            i = j;
        }
        if (!files.concurrentReads() || ranges.size() < 2) {
            for (Range r : ranges) {
                deliver(r, fetch(r), out);
            }
            return;
        }
        // up to IN_FLIGHT ranges requested at once, delivered in order (out is not thread-safe, and a
        // transport failure must cut the stream after what was delivered, as a sequential read would)
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.ArrayDeque<java.util.concurrent.Future<byte[]>> ahead = new java.util.ArrayDeque<>();
            int next = 0;
            for (Range r : ranges) {
                while (next < ranges.size() && ahead.size() < IN_FLIGHT) {
                    Range f = ranges.get(next++);
                    ahead.add(pool.submit(() -> fetch(f)));
                }
                byte[] buf;
                try {
                    buf = ahead.poll().get();
                } catch (java.util.concurrent.ExecutionException e) {
                    ahead.forEach(f -> f.cancel(true));
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(e.getCause());
                } catch (InterruptedException e) {
                    ahead.forEach(f -> f.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
                deliver(r, buf, out);
            }
        }
    }

    /** Ranges requested at once from a remote that takes concurrent reads. */
    static final int IN_FLIGHT = 4;

    /** Records of one pack read in one request: bytes [start, end) of it. */
    private record Range(List<Where> records, long start, long end) {}

    private byte[] fetch(Range r) throws IOException {
        String pack = r.records().getFirst().pack();
        byte[] buf;
        try (InputStream in = files.read(chunksDir + "/" + pack + PackFormat.PACK_SUFFIX, r.start(), r.end() - r.start())) {
            buf = in.readNBytes((int) (r.end() - r.start()));
        }
        if (buf.length != r.end() - r.start()) {
            throw new IOException(files.describe() + ": " + pack + PackFormat.PACK_SUFFIX + " ended early");
        }
        return buf;
    }

    private static void deliver(Range r, byte[] buf, RecordConsumer out) throws IOException {
        for (Where w : r.records()) {
            out.accept(w.idx().id(w.entry()), buf, (int) (w.offset() - r.start()), w.idx().recordLength(w.entry()));
        }
    }

    @Override
    public Upload upload() throws IOException {
        if (!files.writable()) {
            throw new TransferException(files.describe() + " is read-only (a static layout): push to a path or SSH remote");
        }
        ensureLoaded();
        files.mkdirs(chunksDir);
        Files.createDirectories(cache);
        return new Upload() {
            private Path spool;
            private OutputStream out;
            private final List<PackIndex.Entry> entries = new ArrayList<>();
            private long pos;

            @Override
            public void put(ChunkId id, byte[] record, int rawLength) throws IOException {
                if (out == null) {
                    spool = Files.createTempFile(cache, "upload-", ".pack.tmp");
                    out = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16);
                    out.write(PackFormat.packHeader());
                    pos = PackFormat.PACK_HEADER;
                }
                out.write(record);
                entries.add(new PackIndex.Entry(id, pos, record.length, rawLength));
                pos += record.length;
                if (pos >= PIECE) {
                    publish();
                }
            }

            @Override
            public void publish() throws IOException {
                if (out == null) {
                    return;
                }
                out.close();
                out = null;
                byte[] idx = PackIndex.encode(entries.toArray(PackIndex.Entry[]::new), pos);
                String name = "pack-" + ChunkId.hash(idx).hex().substring(0, 32);  // 16 bytes of the index's SHA-256
                String pack = chunksDir + "/" + name + PackFormat.PACK_SUFFIX;
                String index = chunksDir + "/" + name + PackFormat.INDEX_SUFFIX;
                RemoteFiles.publish(files, pack, o -> Files.copy(spool, o));
                RemoteFiles.publish(files, index, o -> o.write(idx));  // published
                keep(cache.resolve(name + PackFormat.INDEX_SUFFIX), idx);
                packs.put(name, PackIndex.decode(idx));
                Files.deleteIfExists(spool);
                entries.clear();
            }

            @Override
            public void close() throws IOException {
                if (out != null) {
                    out.close();
                    out = null;
                }
                if (spool != null) {
                    Files.deleteIfExists(spool);
                }
            }
        };
    }


    @Override
    public void close() throws IOException {
        files.close();
    }
}
