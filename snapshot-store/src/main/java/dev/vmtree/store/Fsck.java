package dev.vmtree.store;

import dev.vmtree.store.pack.ChunkCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Verifies a repository: every Git object reachable from the roots (content hash re-computed),
 * every chunk reachable from their page trees and the extra roots (record checksum, LZ4 data,
 * SHA-256), every pack index, and the files gc needs to read to know the roots (refs, reflogs,
 * {@code roots}, the lock: {@link IntegrityChecks}). Each damaged object is reported with the snapshots, refs and
 * roots that depend on it. Reads only; takes no lock.
 */
final class Fsck {
    private final Repository repo;
    private final List<FsckReport.Problem> problems = new ArrayList<>();
    private final Map<ObjectId, String> gitDamage = new HashMap<>();
    private final Set<ObjectId> gitGood = new HashSet<>();
    private final Map<ChunkId, Set<ChunkId>> damagedBelow = new HashMap<>();
    private final Map<ChunkId, String> chunkDamage = new LinkedHashMap<>();
    private final ObjectInserter.Formatter formatter = new ObjectInserter.Formatter();
    private final Map<SnapshotId, RevCommit> parents = new HashMap<>(); // parsed commits, for their parents
    private long chunksVerified;
    /** Chunks absent here that the repository's promisor promises (a lazy clone): not damage. */
    private final Set<ChunkId> promised = new HashSet<>();

    private final RootSet only;     // null: every root, and the repository-wide file checks

    Fsck(Repository repo) {
        this(repo, null);
    }

    Fsck(Repository repo, RootSet only) {
        this.repo = repo;
        this.only = only;
    }

    FsckReport run() {
        if (only == null) {
            problems.addAll(IntegrityChecks.find(repo));
        }
        RootSet roots;
        try {
            roots = only != null ? only : RootSet.readable(repo);
        } catch (StoreException e) {
            if (problems.stream().noneMatch(p -> e.getMessage().contains(p.object()))) {
                problems.add(new FsckReport.Problem("roots", e.getMessage(), List.of()));
            }
            return new FsckReport(problems, 0, 0, 0, 0);
        }
        // Which owners (refs, reflog entries, extra roots) reach each commit, and its own damage.
        Map<SnapshotId, Set<String>> reachedBy = new LinkedHashMap<>();
        Map<SnapshotId, Set<ObjectId>> commitDamage = new HashMap<>();
        Map<SnapshotId, Map<String, PageTreeRoot>> commitImages = new HashMap<>();
        try (ObjectReader reader = repo.meta().git().newObjectReader()) {
            for (var start : roots.snapshots().entrySet()) {
                ArrayDeque<SnapshotId> todo = new ArrayDeque<>(List.of(start.getKey()));
                Set<SnapshotId> seen = new HashSet<>();
                while (!todo.isEmpty()) {
                    SnapshotId c = todo.pop();
                    if (!seen.add(c)) {
                        continue;
                    }
                    reachedBy.computeIfAbsent(c, k -> new LinkedHashSet<>()).addAll(start.getValue());
                    if (!commitImages.containsKey(c) && !commitDamage.containsKey(c)) {
                        checkCommit(reader, c, commitDamage, commitImages, todo);
                    } else {
                        RevCommit parsed = parents.get(c);
                        if (parsed != null) {
                            for (RevCommit p : parsed.getParents()) {
                                todo.push(new SnapshotId(p.name()));
                            }
                        }
                    }
                }
            }
        }
        Map<ObjectId, Set<String>> gitDependents = new LinkedHashMap<>();
        commitDamage.forEach((c, objs) -> {
            for (ObjectId o : objs) {
                gitDependents.computeIfAbsent(o, k -> new LinkedHashSet<>()).add(label(c, reachedBy));
            }
        });
        gitDependents.forEach((o, deps) -> problems.add(new FsckReport.Problem("git object " + o.name(),
                gitDamage.get(o), List.copyOf(deps))));

        Map<ChunkId, Set<String>> chunkDependents = new LinkedHashMap<>();
        commitImages.forEach((c, images) -> images.forEach((name, tree) -> {
            for (ChunkId bad : verifyTree(tree)) {
                chunkDependents.computeIfAbsent(bad, k -> new LinkedHashSet<>())
                        .add(label(c, reachedBy) + " image " + name);
            }
        }));
        roots.trees().forEach((tree, owners) -> {
            for (ChunkId bad : verifyTree(tree)) {
                chunkDependents.computeIfAbsent(bad, k -> new LinkedHashSet<>()).addAll(owners);
            }
        });
        roots.chunks().forEach((id, owners) -> {
            if (!verifyNode(id, 0).isEmpty()) {
                chunkDependents.computeIfAbsent(id, k -> new LinkedHashSet<>()).addAll(owners);
            }
        });
        chunkDependents.forEach((id, deps) -> problems.add(new FsckReport.Problem("chunk " + id.hex(),
                chunkDamage.get(id), List.copyOf(deps))));
        return new FsckReport(problems, chunksVerified, gitGood.size() + gitDamage.size(), reachedBy.size(),
                promised.size());
    }

    private static String label(SnapshotId c, Map<SnapshotId, Set<String>> reachedBy) {
        return "snapshot " + c.shortHex() + " (" + String.join(", ", reachedBy.getOrDefault(c, Set.of())) + ")";
    }

    private void checkCommit(ObjectReader reader, SnapshotId c, Map<SnapshotId, Set<ObjectId>> commitDamage,
                             Map<SnapshotId, Map<String, PageTreeRoot>> commitImages, ArrayDeque<SnapshotId> todo) {
        ObjectId id = ObjectId.fromString(c.hex());
        Set<ObjectId> damage = new LinkedHashSet<>();
        byte[] raw = load(reader, id, Constants.OBJ_COMMIT);
        if (raw == null) {
            damage.add(id);
            commitDamage.put(c, damage);
            return;
        }
        RevCommit commit;
        try {
            commit = RevCommit.parse(raw);
        } catch (RuntimeException e) {
            gitDamage.put(id, "unparsable commit: " + e.getMessage());
            gitGood.remove(id);
            damage.add(id);
            commitDamage.put(c, damage);
            return;
        }
        parents.put(c, commit);
        for (RevCommit p : commit.getParents()) {
            todo.push(new SnapshotId(p.name()));
        }
        Map<String, PageTreeRoot> images = new LinkedHashMap<>();
        checkTree(reader, commit.getTree().getId(), "", damage, images);
        if (!damage.isEmpty()) {
            commitDamage.put(c, damage);
        }
        commitImages.put(c, images);
    }

    private void checkTree(ObjectReader reader, ObjectId tree, String prefix, Set<ObjectId> damage,
                           Map<String, PageTreeRoot> images) {
        byte[] raw = load(reader, tree, Constants.OBJ_TREE);
        if (raw == null) {
            damage.add(tree);
            return;
        }
        CanonicalTreeParser p = new CanonicalTreeParser();
        try {
            p.reset(raw);
            for (; !p.eof(); p.next()) {
                ObjectId child = p.getEntryObjectId();
                String path = prefix + p.getEntryPathString();
                if (p.getEntryFileMode() == FileMode.TREE) {
                    checkTree(reader, child, path + "/", damage, images);
                    continue;
                }
                byte[] blob = load(reader, child, Constants.OBJ_BLOB);
                if (blob == null) {
                    damage.add(child);
                } else if (path.equals(SnapshotContent.IMAGES_FILE)) {
                    try {
                        images.putAll(SnapshotContent.parseImages(new String(blob, StandardCharsets.UTF_8)));
                    } catch (IllegalArgumentException e) {
                        gitDamage.put(child, "unreadable images file: " + e.getMessage());
                        damage.add(child);
                    }
                }
            }
        } catch (RuntimeException e) {
            gitDamage.put(tree, "unparsable tree: " + e.getMessage());
            damage.add(tree);
        }
    }

    /** The verified content of a Git object, or null after recording why it is damaged. */
    private byte[] load(ObjectReader reader, ObjectId id, int type) {
        if (gitDamage.containsKey(id)) {
            return null;
        }
        try {
            byte[] raw = reader.open(id, type).getCachedBytes((int) MetaStore.MAX_FILE);
            if (!formatter.idFor(type, raw).equals(id)) {
                gitDamage.put(id, "content does not match its id");
                return null;
            }
            gitGood.add(id);
            return raw;
        } catch (org.eclipse.jgit.errors.MissingObjectException e) {
            gitDamage.put(id, "missing");
        } catch (Exception e) {
            gitDamage.put(id, "unreadable (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        return null;
    }

    /** Damaged chunks in the tree; each subtree is verified once per fsck. */
    private Set<ChunkId> verifyTree(PageTreeRoot tree) {
        return verifyNode(tree.root(), tree.depth());
    }

    private Set<ChunkId> verifyNode(ChunkId id, int level) {
        if (id.isZero()) {
            return Set.of();
        }
        Set<ChunkId> known = damagedBelow.get(id);
        if (known != null) {
            return known;
        }
        Set<ChunkId> bad = Set.of();
        byte[] data = verifyChunk(id);
        if (data == null) {
            bad = promised.contains(id) ? Set.of() : Set.of(id);
        } else if (level > 0) {
            if (data.length % ChunkId.BYTES != 0 || data.length > PageTree.FANOUT * ChunkId.BYTES) {
                chunkDamage.put(id, "not a page tree node (" + data.length + " bytes)");
                bad = Set.of(id);
            } else {
                Set<ChunkId> acc = null;
                for (int i = 0; i < data.length / ChunkId.BYTES; i++) {
                    Set<ChunkId> below = verifyNode(ChunkId.fromBytes(data, i * ChunkId.BYTES), level - 1);
                    if (!below.isEmpty()) {
                        if (acc == null) {
                            acc = new LinkedHashSet<>();
                        }
                        acc.addAll(below);
                    }
                }
                bad = acc == null ? Set.of() : Collections.unmodifiableSet(acc);
            }
        }
        damagedBelow.put(id, bad);
        return bad;
    }

    private byte[] verifyChunk(ChunkId id) {
        chunksVerified++;
        ChunkStore.Location loc = repo.chunks().locate(id);
        if (loc == null) {
            if (repo.promisor() != null) {
                // a lazy clone's: the remote has it (fsck asks no remote; `fetch --all-chunks` would find it missing there)
                promised.add(id);
                chunksVerified--;
            } else {
                chunkDamage.put(id, "missing from the store");
            }
            return null;
        }
        try {
            return repo.chunks().readAt(loc, true);
        } catch (ChunkCodec.DamagedRecordException e) {
            chunkDamage.put(id, e.getMessage() + " (" + repo.chunks().packPath(loc.pack().name()) + " at offset "
                    + loc.offset() + ")");
        } catch (StoreException e) {
            chunkDamage.put(id, e.getMessage());
        }
        return null;
    }
}
