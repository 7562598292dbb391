package dev.vmtree.store;

import java.time.Instant;
import java.util.List;

/** A snapshot read back from its commit: parents, message, time and contents. Immutable. */
public record Snapshot(SnapshotId id, List<SnapshotId> parents, String message, Instant time, SnapshotContent content) {
    public Snapshot {
        parents = List.copyOf(parents);
    }
}
