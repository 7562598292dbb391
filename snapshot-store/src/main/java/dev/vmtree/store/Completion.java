package dev.vmtree.store;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Completes a lazy clone ({@code vmtree fetch --all-chunks}, docs/remotes.md "Lazy clones"): every
 * chunk reachable from this repository's roots (refs and the snapshots they descend from, reflogs,
 * the extra roots that hold the instances' working states) that it lacks is read from a remote,
 * verified as every fetch verifies it, and stored. Afterwards fsck counts none promised. The page
 * trees are walked level by level, so a node that is absent too arrives before its children are
 * needed, and a transport failure keeps what was verified (run it again to resume).
 */
public final class Completion {
    private Completion() {}

    /**
     * What a completion found and did: chunks reachable from the roots, how many of them were here
     * already (the fraction a lazy clone had faulted in, or fetched as nodes), and what was fetched
     * now (chunks and record bytes).
     */
    public record Result(long reachable, long present, long fetched, long bytes) {}

    /**
     * Fetches from {@code remote} every reachable chunk this repository lacks.
     *
     * @throws TransferException when the remote lacks one of them or sends damage (what was verified is kept)
     * @throws IOException when the transport fails midway (what was verified is kept: run it again)
     */
    public static Result complete(Repository repo, Transfer.Remote remote, Transfer.Counters counters,
                                  Duration lockTimeout, Consumer<String> onWait) throws IOException {
        try (WriteTransaction tx = repo.beginWrite(lockTimeout, onWait)) {
            List<Transfer.Item> frontier = new ArrayList<>();
            Set<ChunkId> seen = new HashSet<>();
            RootSet roots = RootSet.readable(repo);
            for (PageTreeRoot t : imagesOf(repo, roots)) {
                if (!t.root().isZero() && seen.add(t.root())) {
                    frontier.add(new Transfer.Item(t.root(), t.depth()));
                }
            }
            for (ChunkId c : roots.chunks().keySet()) {
                if (!c.isZero() && seen.add(c)) {
                    frontier.add(new Transfer.Item(c, 0));
                }
            }
            long chunksBefore = counters.chunks.sum();
            long bytesBefore = counters.bytes.sum();
            Transfer.Walked walked;
            try {
                walked = Transfer.descend(repo, remote, frontier, seen, tx, false, counters);
            } finally {
                tx.flush();   // every staged chunk was verified: keep them, even when the remote sent damage
            }
            return new Result(walked.reached(), walked.reached() - walked.absent(), counters.chunks.sum() - chunksBefore,
                    counters.bytes.sum() - bytesBefore);
        }
    }

    /** The images of every snapshot the roots reach (their ancestors included), and the roots' own trees. */
    private static List<PageTreeRoot> imagesOf(Repository repo, RootSet roots) throws IOException {
        List<PageTreeRoot> out = new ArrayList<>(roots.trees().keySet());
        try (ObjectReader reader = repo.meta().newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
            for (SnapshotId s : roots.snapshots().keySet()) {
                ObjectId id = ObjectId.fromString(s.hex());
                if (repo.meta().git().getObjectDatabase().has(id)) {
                    rw.markStart(rw.parseCommit(id));   // a reflog entry's snapshot that is gone is fsck's to report
                }
            }
            for (RevCommit c; (c = rw.next()) != null; ) {
                out.addAll(repo.meta().read(new SnapshotId(c.name())).content().images().values());
            }
        }
        return out;
    }
}
