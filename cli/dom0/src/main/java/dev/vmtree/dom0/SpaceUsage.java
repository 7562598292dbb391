package dev.vmtree.dom0;

import dev.vmtree.store.ChunkId;
import dev.vmtree.store.ChunkStore;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What {@code vmtree du} reports: the repository's files by kind, the chunks' raw and on-disk bytes
 * (compression), the logical bytes of every image of every live snapshot against the raw bytes of
 * the distinct chunks they need (deduplication), and per owner (branch, tag, instance) the on-disk
 * bytes only it needs ("unique") and those it shares with another owner. Computed by walking the
 * page trees, never reading page data. Immutable result.
 */
public record SpaceUsage(Path directory, long packBytes, int packs, long indexBytes, long metaBytes, long otherBytes,
                         long chunks, long chunkRawBytes, long chunkStoredBytes, long snapshots,
                         long logicalImageBytes, long liveRawBytes, long liveStoredBytes, List<Owner> owners) {

    /** One branch ("main"), tag ("tag: v1") or instance ("instance: vm1") and the bytes it needs. */
    public record Owner(String name, long uniqueBytes, long sharedBytes) {}

    public long totalBytes() {
        return packBytes + indexBytes + metaBytes + otherBytes;
    }

    /** Raw chunk bytes per on-disk byte (LZ4 and zero-page elision); 1 when empty. */
    public double compressionRatio() {
        return chunkStoredBytes == 0 ? 1 : (double) chunkRawBytes / chunkStoredBytes;
    }

    /** Logical image bytes per raw byte of distinct live chunks (sharing between versions and zero pages); 1 when empty. */
    public double dedupRatio() {
        return liveRawBytes == 0 ? 1 : (double) logicalImageBytes / liveRawBytes;
    }

    static SpaceUsage measure(Toolstack ts) {
        Repository repo = ts.repository();
        ChunkStore store = repo.chunks();
        store.refresh();
        Path dir = repo.storeDirectory();
        long[] files = fileBytes(dir, repo.gitDirectory(), store.directory());
        long chunks = 0;
        long raw = 0;
        long stored = 0;
        for (ChunkStore.Pack p : store.packs()) {
            for (int i = 0; i < p.index().size(); i++) {
                chunks++;
                raw += p.index().rawLength(i);
                stored += p.index().recordLength(i);
            }
        }
        // Owners and the chunks each needs.
        Map<String, List<SnapshotId>> snapshotsOf = new LinkedHashMap<>();
        Map<String, List<PageTreeRoot>> treesOf = new LinkedHashMap<>();
        repo.refs().forEach((name, id) -> {
            if (name.startsWith(Instances.HEAD_REFS)) {
                return; // an instance's reflog ref is at its base, counted under "instance: NAME" below
            }
            String label = name.startsWith(Refs.HEADS) ? name.substring(Refs.HEADS.length())
                    : name.startsWith(Refs.TAGS) ? "tag: " + name.substring(Refs.TAGS.length()) : name;
            snapshotsOf.put(label, List.of(id));
        });
        for (InstanceRecord r : ts.instances().scan().sound()) {    // a damaged record's root still keeps its chunks
            String label = "instance: " + r.name();
            snapshotsOf.put(label, List.of(r.base()));
            treesOf.put(label, r.working() == null ? List.of() : List.copyOf(r.working().images().values()));
        }
        Map<SnapshotId, List<PageTreeRoot>> imagesCache = new HashMap<>();
        Set<SnapshotId> allSnapshots = new HashSet<>();
        Map<String, Set<ChunkId>> needs = new LinkedHashMap<>();
        Map<ChunkId, Integer> owners = new HashMap<>();
        long logical = 0;
        for (var e : snapshotsOf.entrySet()) {
            Set<ChunkId> seen = new HashSet<>();
            List<PageTreeRoot> trees = new ArrayList<>(treesOf.getOrDefault(e.getKey(), List.of()));
            for (History.Entry h : ts.history().log(e.getValue(), 0)) {
                List<PageTreeRoot> imgs = imagesCache.computeIfAbsent(h.id(),
                        id -> List.copyOf(repo.readSnapshot(id).content().images().values()));
                if (allSnapshots.add(h.id())) {
                    for (PageTreeRoot t : imgs) {
                        logical += t.size();
                    }
                }
                trees.addAll(imgs);
            }
            for (PageTreeRoot t : trees) {
                PageTree.forEachChunk(store, t, seen, id -> { });
            }
            needs.put(e.getKey(), seen);
            seen.forEach(id -> owners.merge(id, 1, Integer::sum));
        }
        for (List<PageTreeRoot> trees : treesOf.values()) {
            for (PageTreeRoot t : trees) {
                logical += t.size();
            }
        }
        long liveRaw = 0;
        long liveStored = 0;
        for (ChunkId id : owners.keySet()) {
            ChunkStore.Location loc = store.locate(id);
            if (loc != null) {
                liveRaw += loc.pack().index().rawLength(loc.entry());
                liveStored += loc.pack().index().recordLength(loc.entry());
            }
        }
        List<Owner> out = new ArrayList<>();
        needs.forEach((name, set) -> {
            long unique = 0;
            long shared = 0;
            for (ChunkId id : set) {
                ChunkStore.Location loc = store.locate(id);
                long b = loc == null ? 0 : loc.pack().index().recordLength(loc.entry());
                if (owners.get(id) == 1) {
                    unique += b;
                } else {
                    shared += b;
                }
            }
            out.add(new Owner(name, unique, shared));
        });
        return new SpaceUsage(dir, files[0], (int) files[4], files[1], files[2], files[3], chunks, raw, stored,
                allSnapshots.size(), logical, liveRaw, liveStored, out);
    }

    /** [pack bytes, index bytes, meta.git bytes, other bytes, pack count] under {@code .vmtree}. */
    private static long[] fileBytes(Path dir, Path meta, Path chunksDir) {
        long[] out = new long[5];
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                long size = Files.size(p);
                String name = p.getFileName().toString();
                if (p.startsWith(meta)) {
                    out[2] += size;
                } else if (p.getParent().equals(chunksDir) && name.endsWith(".pack")) {
                    out[0] += size;
                    out[4]++;
                } else if (p.getParent().equals(chunksDir) && name.endsWith(".idx")) {
                    out[1] += size;
                } else {
                    out[3] += size;
                }
            }
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot measure " + dir + ": "
                    + e.getMessage(), e);
        }
        return out;
    }
}
