package dev.vmtree.store;

import java.io.IOException;
import java.util.Collection;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The walk gc marks with and bundles select with: every snapshot reachable from some commits but
 * not from others, and every chunk of their page trees not yet in {@code seen}. Commits are read
 * through a verifying reader of {@code meta}; nodes through {@code chunks} (so a writer's pending
 * chunks count).
 */
final class Reachable {
    private Reachable() {}

    /**
     * Visits each snapshot reachable from {@code from} and not from {@code except}, then each chunk of
     * its images that {@code seen} does not hold yet (adding it). A chunk is visited before its
     * children are read, so {@code onChunk} may refuse one that is missing by throwing.
     */
    static void walk(MetaStore meta, ChunkStore chunks, Collection<SnapshotId> from, Collection<SnapshotId> except,
                     Set<ChunkId> seen, Consumer<Snapshot> onSnapshot, Consumer<ChunkId> onChunk) throws IOException {
        try (ObjectReader reader = meta.newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
            for (SnapshotId s : from) {
                rw.markStart(rw.parseCommit(ObjectId.fromString(s.hex())));
            }
            for (SnapshotId s : except) {
                rw.markUninteresting(rw.parseCommit(ObjectId.fromString(s.hex())));
            }
            for (RevCommit c; (c = rw.next()) != null; ) {
                Snapshot snap = meta.read(new SnapshotId(c.name()));
                onSnapshot.accept(snap);
                for (PageTreeRoot t : snap.content().images().values()) {
                    PageTree.forEachChunk(chunks, t, seen, onChunk);
                }
            }
        }
    }
}
