package dev.vmtree.store;

import dev.vmtree.store.fs.FileLayer;
import dev.vmtree.store.pack.ChunkCodec;
import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Garbage collection under the writer lock: expire old reflog entries, mark every chunk
 * reachable from the roots, copy the live records into one new pack, publish its index durably,
 * and only then unpublish (delete the index of) and delete the old packs. A crash at any point
 * leaves every live chunk in a published pack; duplicates are harmless. Gc refuses to delete
 * anything when marking meets a damaged or missing object, when a file that names roots cannot be
 * read ({@link IntegrityChecks}), or when the upper layer reports roots it cannot account for.
 */
final class Gc {
    private final Repository repo;
    private final WriteTransaction tx;
    private final java.util.function.Supplier<List<String>> upperLayerProblems;

    Gc(Repository repo, WriteTransaction tx, java.util.function.Supplier<List<String>> upperLayerProblems) {
        this.repo = repo;
        this.tx = tx;
        this.upperLayerProblems = upperLayerProblems;
    }

    GcReport run(Duration expire) {
        // Refuse before touching anything (reflogs included) when the store is visibly damaged, or
        // holds a file (ref, reflog, roots) whose meaning gc cannot know: it may keep snapshots alive.
        ChunkStore store = repo.chunks();
        store.refresh();
        List<FsckReport.Problem> unaccounted = IntegrityChecks.find(repo);
        if (!unaccounted.isEmpty()) {
            throw stopped(unaccounted.stream().map(FsckReport.Problem::toString).toList());
        }
        List<String> upper = upperLayerProblems.get();
        if (!upper.isEmpty()) {
            throw stopped(upper);
        }
        int expired = expireReflogs(Instant.now().minus(expire));
        Set<ChunkId> live = mark();
        List<ChunkStore.Pack> all = store.packs();
        long before = 0;
        for (ChunkStore.Pack p : all) {
            before += p.index().packLength();
        }
        // Rewrite only packs that hold garbage, and merge small ones; a big all-live pack stays.
        List<ChunkStore.Pack> old = new ArrayList<>();
        Set<ChunkId> kept = new HashSet<>();
        for (ChunkStore.Pack p : all) {
            if (p.index().packLength() < SMALL_PACK || hasGarbage(p.index(), live)) {
                old.add(p);
            } else {
                for (int i = 0; i < p.index().size(); i++) {
                    kept.add(p.index().id(i));
                }
            }
        }
        if (old.size() == 1 && !hasGarbage(old.getFirst().index(), live)) {
            old.clear(); // one small, clean pack: nothing to gain
        }
        ChunkWriter writer = tx.chunks();
        Set<ChunkId> copied = new HashSet<>();
        for (ChunkStore.Pack p : old) {
            PackIndex idx = p.index();
            for (int i = 0; i < idx.size(); i++) {
                ChunkId id = idx.id(i);
                if (!live.contains(id) || copied.contains(id) || kept.contains(id)) {
                    continue;
                }
                try {
                    byte[] rec = store.readRecord(p.name(), idx.offset(i), idx.recordLength(i));
                    ChunkCodec.decode(rec, rec.length, id, true);
                    writer.copy(id, rec, idx.rawLength(i));
                    copied.add(id);
                } catch (ChunkCodec.DamagedRecordException e) {
                    throw new StoreException("gc stopped, nothing deleted: chunk " + id.shortHex() + " is damaged: "
                            + e.getMessage() + " (run vmtree fsck)");
                }
            }
        }
        long distinct = countDistinct(old);
        Set<ChunkId> keptLive = new HashSet<>(kept);
        keptLive.retainAll(live);
        String newPack = writer.name();
        writer.flush();
        // The new pack is durable and published; now the old ones may go, index first.
        FileLayer fs = repo.files();
        List<String> removed = new ArrayList<>();
        try {
            for (ChunkStore.Pack p : old) {
                fs.delete(store.indexPath(p.name()));
                removed.add(p.name());
            }
            fs.fsyncDirectory(store.directory());
            for (String name : fs.list(store.directory())) {
                boolean ours = newPack != null && name.startsWith(newPack + ".");
                boolean stale = name.endsWith(".tmp") || (name.endsWith(PackFormat.PACK_SUFFIX)
                        && !fs.exists(store.directory().resolve(
                                name.substring(0, name.length() - PackFormat.PACK_SUFFIX.length()) + PackFormat.INDEX_SUFFIX)));
                if (!ours && stale) {
                    fs.delete(store.directory().resolve(name));
                }
            }
            fs.fsyncDirectory(store.directory());
        } catch (IOException e) {
            throw new StoreException("gc could not remove old packs in " + store.directory() + ": " + e.getMessage(), e);
        }
        store.closePacks(removed);
        store.refresh();
        long after = 0;
        for (ChunkStore.Pack p : store.packs()) {
            after += p.index().packLength();
        }
        long dropped = Math.max(0, distinct - copied.size() - countIn(old, kept));
        return new GcReport(copied.size() + keptLive.size(), dropped, before, after, expired, removed.size());
    }

    private static StoreException stopped(List<String> problems) {
        String first = problems.getFirst();
        return new StoreException("gc stopped, nothing deleted: " + first
                + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : "")
                + (first.contains("vmtree fsck") ? "" : " (run `vmtree fsck`)"));
    }

    private static final long SMALL_PACK = 16L << 20;

    private static boolean hasGarbage(PackIndex idx, Set<ChunkId> live) {
        for (int i = 0; i < idx.size(); i++) {
            if (!live.contains(idx.id(i))) {
                return true;
            }
        }
        return false;
    }

    /** Distinct ids of {@code packs} that are also in {@code kept} (live copies elsewhere). */
    private static long countIn(List<ChunkStore.Pack> packs, Set<ChunkId> kept) {
        Set<ChunkId> seen = new HashSet<>();
        for (ChunkStore.Pack p : packs) {
            for (int i = 0; i < p.index().size(); i++) {
                if (kept.contains(p.index().id(i))) {
                    seen.add(p.index().id(i));
                }
            }
        }
        return seen.size();
    }

    private static long countDistinct(List<ChunkStore.Pack> packs) {
        if (packs.size() == 1) {
            return packs.getFirst().index().size();
        }
        Set<ChunkId> all = new HashSet<>();
        for (ChunkStore.Pack p : packs) {
            for (int i = 0; i < p.index().size(); i++) {
                all.add(p.index().id(i));
            }
        }
        return all.size();
    }

    private Set<ChunkId> mark() {
        RootSet roots = RootSet.of(repo);
        Set<ChunkId> live = new HashSet<>();
        try {
            Reachable.walk(repo.meta(), repo.chunks(), roots.snapshots().keySet(), List.of(), live, s -> {}, id -> {});
        } catch (IOException | StoreException e) {
            throw new StoreException("gc stopped, nothing deleted: " + e.getMessage() + " (run vmtree fsck)", e);
        }
        for (PageTreeRoot t : roots.trees().keySet()) {
            PageTree.forEachChunk(repo.chunks(), t, live, id -> {});
        }
        live.addAll(roots.chunks().keySet());
        return live;
    }

    /** Drops reflog lines older than {@code cutoff} from every log under meta.git/logs. */
    private int expireReflogs(Instant cutoff) {
        Path logs = repo.gitDirectory().resolve("logs");
        if (!Files.isDirectory(logs)) {
            return 0;
        }
        int dropped = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(logs)) {
            files = s.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new StoreException("cannot list " + logs + ": " + e.getMessage(), e);
        }
        for (Path f : files) {
            try {
                List<String> keep = new ArrayList<>();
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                for (String line : lines) {
                    // Reflog times have whole seconds: "--expire 0" must drop entries of this very second too.
                    if (reflogTime(line) > cutoff.getEpochSecond()) {
                        keep.add(line);
                    }
                }
                if (keep.size() != lines.size()) {
                    dropped += lines.size() - keep.size();
                    StringBuilder sb = new StringBuilder();
                    keep.forEach(l -> sb.append(l).append('\n'));
                    dev.vmtree.store.fs.RealFileLayer.INSTANCE.writeAtomically(f, sb.toString());
                }
            } catch (IOException e) {
                throw new StoreException("cannot expire reflog " + f + ": " + e.getMessage(), e);
            }
        }
        return dropped;
    }

    /** Seconds since the epoch of a reflog line "old new Name <mail> SECONDS TZ\tmessage"; MAX when unparsable. */
    static long reflogTime(String line) {
        int tab = line.indexOf('\t');
        String head = tab < 0 ? line : line.substring(0, tab);
        int gt = head.lastIndexOf('>');
        if (gt < 0) {
            return Long.MAX_VALUE;
        }
        String[] f = head.substring(gt + 1).trim().split(" ");
        try {
            return Long.parseLong(f[0]);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
