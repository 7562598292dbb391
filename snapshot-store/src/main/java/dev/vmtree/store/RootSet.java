package dev.vmtree.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything gc and fsck start from, each with the names of its owners for messages: refs,
 * every snapshot a reflog still mentions, and the extra roots of upper layers.
 */
record RootSet(Map<SnapshotId, List<String>> snapshots, Map<PageTreeRoot, List<String>> trees,
               Map<ChunkId, List<String>> chunks) {

    /** Every root; throws when a reflog or the roots file cannot be read (gc must not guess). */
    static RootSet of(Repository repo) {
        return of(repo, false);
    }

    /**
     * For fsck, which has reported those files already ({@link IntegrityChecks}): the roots that
     * can be read, skipping an unreadable reflog or roots file, so the rest is still verified.
     */
    static RootSet readable(Repository repo) {
        return of(repo, true);
    }

    /** One snapshot and nothing else (fsck of what a ref needs). */
    static RootSet ofSnapshot(SnapshotId snapshot, String owner) {
        Map<SnapshotId, List<String>> snapshots = new LinkedHashMap<>();
        add(snapshots, snapshot, owner);
        return new RootSet(snapshots, Map.of(), Map.of());
    }

    private static RootSet of(Repository repo, boolean skipUnreadable) {
        Map<SnapshotId, List<String>> snapshots = new LinkedHashMap<>();
        Map<PageTreeRoot, List<String>> trees = new LinkedHashMap<>();
        Map<ChunkId, List<String>> chunks = new LinkedHashMap<>();
        for (var ref : repo.refs().entrySet()) {
            add(snapshots, ref.getValue(), ref.getKey());
            List<Repository.ReflogEntry> log;
            try {
                log = repo.reflog(ref.getKey());
            } catch (StoreException e) {
                if (!skipUnreadable) {
                    throw e;
                }
                log = List.of();
            }
            for (int i = 0; i < log.size(); i++) {
                Repository.ReflogEntry e = log.get(i);
                if (e.newId() != null) {
                    add(snapshots, e.newId(), ref.getKey() + "@{" + i + "}");
                }
                if (e.oldId() != null) {
                    add(snapshots, e.oldId(), ref.getKey() + "@{" + (i + 1) + "}");
                }
            }
        }
        List<ExtraRoot> extra;
        try {
            extra = repo.extraRoots();
        } catch (StoreException e) {
            if (!skipUnreadable) {
                throw e;
            }
            extra = List.of();
        }
        for (ExtraRoot r : extra) {
            String owner = "root " + r.name();
            r.snapshots().forEach(s -> add(snapshots, s, owner));
            r.trees().forEach(t -> add(trees, t, owner));
            r.chunks().forEach(c -> add(chunks, c, owner));
        }
        return new RootSet(snapshots, trees, chunks);
    }

    private static <K> void add(Map<K, List<String>> m, K k, String owner) {
        List<String> l = m.computeIfAbsent(k, x -> new ArrayList<>());
        if (!l.contains(owner)) {
            l.add(owner);
        }
    }
}
