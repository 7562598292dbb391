package dev.vmtree.dom0;

import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.VerifyingObjectReader;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Reads the snapshot history (the commit graph in {@code .vmtree/meta.git}, whose layout
 * docs/format.md fixes as plain Git) without reading snapshot contents: log walks and ancestry
 * questions. Read-only; opens its own JGit handle and reads every commit through a
 * {@link VerifyingObjectReader}. Threading: one thread at a time.
 */
public final class History implements AutoCloseable {
    private final org.eclipse.jgit.lib.Repository git;

    History(Repository repo) {
        try {
            this.git = new FileRepositoryBuilder().setGitDir(repo.gitDirectory().toFile()).setBare()
                    .setMustExist(true).build();
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "damaged repository: cannot open "
                    + repo.gitDirectory() + ": " + e.getMessage(), e);
        }
    }

    /** One snapshot as the log shows it. */
    public record Entry(SnapshotId id, List<SnapshotId> parents, Instant time, String author, String message) {
        public String subject() {
            int nl = message.indexOf('\n');
            return nl < 0 ? message : message.substring(0, nl);
        }
    }

    /**
     * Snapshots reachable from {@code starts}, children before parents, one line of history kept
     * together (Git's topological order); at most {@code limit} (0: all).
     */
    public List<Entry> log(List<SnapshotId> starts, int limit) {
        List<Entry> out = new ArrayList<>();
        try (ObjectReader reader = VerifyingObjectReader.of(git); RevWalk rw = new RevWalk(reader)) {
            rw.sort(RevSort.TOPO, true);
            rw.sort(RevSort.COMMIT_TIME_DESC, true);
            for (SnapshotId s : starts) {
                rw.markStart(rw.parseCommit(ObjectId.fromString(s.hex())));
            }
            for (RevCommit c; (c = rw.next()) != null; ) {
                List<SnapshotId> parents = new ArrayList<>();
                for (RevCommit p : c.getParents()) {
                    parents.add(new SnapshotId(p.name()));
                }
                var who = c.getAuthorIdent();
                out.add(new Entry(new SnapshotId(c.name()), parents, who.getWhenAsInstant(),
                        who.getName() + " <" + who.getEmailAddress() + ">", c.getFullMessage().stripTrailing()));
                if (limit > 0 && out.size() >= limit) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "damaged repository: cannot walk history: "
                    + e.getMessage() + " (run `vmtree fsck`)", e);
        }
        return out;
    }

    /** True when {@code id} is one of {@code tips} or an ancestor of one. */
    public boolean isAncestorOfAny(SnapshotId id, List<SnapshotId> tips) {
        try (ObjectReader reader = VerifyingObjectReader.of(git); RevWalk rw = new RevWalk(reader)) {
            RevCommit c = rw.parseCommit(ObjectId.fromString(id.hex()));
            for (SnapshotId t : tips) {
                rw.reset();
                if (rw.isMergedInto(c, rw.parseCommit(ObjectId.fromString(t.hex())))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "damaged repository: " + e.getMessage(), e);
        }
    }

    /** Branch and tag names per snapshot, for decorating a log ("main", "tag: v1"); instance reflog refs are left out. */
    public static Map<SnapshotId, List<String>> decorations(Map<String, SnapshotId> refs) {
        Map<SnapshotId, List<String>> out = new LinkedHashMap<>();
        refs.forEach((name, id) -> {
            if (name.startsWith(Instances.HEAD_REFS)) {
                return;
            }
            String label = name.startsWith(Refs.HEADS) ? name.substring(Refs.HEADS.length())
                    : name.startsWith(Refs.TAGS) ? "tag: " + name.substring(Refs.TAGS.length()) : name;
            out.computeIfAbsent(id, k -> new ArrayList<>()).add(label);
        });
        return out;
    }

    @Override
    public void close() {
        git.close();
    }
}
