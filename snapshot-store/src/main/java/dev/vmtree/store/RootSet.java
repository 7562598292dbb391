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

    static RootSet of(Repository repo) {
        Map<SnapshotId, List<String>> snapshots = new LinkedHashMap<>();
        Map<PageTreeRoot, List<String>> trees = new LinkedHashMap<>();
        Map<ChunkId, List<String>> chunks = new LinkedHashMap<>();
        for (var ref : repo.refs().entrySet()) {
            add(snapshots, ref.getValue(), ref.getKey());
            List<Repository.ReflogEntry> log = repo.reflog(ref.getKey());
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
        for (ExtraRoot r : repo.extraRoots()) {
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
