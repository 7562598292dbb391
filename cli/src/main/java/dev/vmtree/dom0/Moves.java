package dev.vmtree.dom0;

import dev.vmtree.store.RefResult;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;

/**
 * Pointing instances at snapshots: the record half of {@code checkout} and {@code rollback}. Both
 * are O(1) in machine size by design (nothing is read until a run faults pages in), so they need
 * no machine: they refuse a running instance (LOCKED) and one with uncommitted state unless told
 * to discard it (DIRTY), then move refs and rewrite the record under the repository's write lock.
 * The base StateId is read from the snapshot; one that holds no machine (made by `store put`) is
 * refused before anything moves.
 */
final class Moves {
    private final Toolstack ts;

    Moves(Toolstack ts) {
        this.ts = ts;
    }

    /** What a move did: the record as saved, and the ref it moved (null when none moved). */
    record Result(InstanceRecord instance, RefResult ref) {}

    Result checkout(String instance, String rev, boolean discard) {
        InstanceRecord r = movable(instance, discard, "check out");
        String name = rev.startsWith(Refs.HEADS) ? rev.substring(Refs.HEADS.length()) : rev;
        boolean branch = ts.repository().refs().containsKey(Refs.HEADS + name);
        SnapshotId to = resolveFrom(r, rev);
        InstanceRecord moved = new InstanceRecord(r.name(), to, branch ? name : null, ts.machines().machineStateId(to, rev),
                null, r.created(), r.pendingGeneration());
        try (WriteTransaction tx = ts.beginWrite()) {
            ts.instances().save(tx, moved);
        }
        return new Result(moved, null);
    }

    Result checkoutNewBranch(String instance, String branch, String start, boolean discard) {
        InstanceRecord r = movable(instance, discard, "check out");
        String from = start == null ? r.base().hex() : start;
        Refs.checkName("branch", branch);
        SnapshotId at = resolveFrom(r, from);
        StateId state = ts.machines().machineStateId(at, start == null ? "the base" : start);
        try (WriteTransaction tx = ts.beginWrite()) {
            RefResult ref = tx.updateRef(Refs.HEADS + branch, null, at, "branch: created from " + from);
            if (!ref.ok()) {
                throw ToolstackException.failed("branch '" + branch + "' already exists");
            }
            InstanceRecord moved = new InstanceRecord(r.name(), at, branch, state, null, r.created(),
                    r.pendingGeneration());
            ts.instances().save(tx, moved);
            return new Result(moved, ref);
        }
    }

    /**
     * Moves the instance's branch (if any) and the instance back to {@code rev} ("~N" and "^" count
     * from the instance's base). The dropped snapshots stay reachable from the reflog until gc.
     */
    Result rollback(String instance, String rev, boolean discard) {
        InstanceRecord r = movable(instance, discard, "roll back");
        SnapshotId to = resolveFrom(r, rev == null ? "~1" : rev);
        StateId state = ts.machines().machineStateId(to, rev == null ? "~1" : rev);
        try (WriteTransaction tx = ts.beginWrite()) {
            RefResult ref = null;
            if (r.branch() != null) {
                SnapshotId head = ts.refs().branchHead(r.branch()).orElse(null);
                ref = tx.updateRef(Refs.HEADS + r.branch(), head, to, "rollback: to " + to.shortHex()
                        + (head == null ? "" : " from " + head.shortHex()));
                if (!ref.ok()) {
                    throw ToolstackException.failed("branch '" + r.branch() + "' moved meanwhile; try again");
                }
            }
            InstanceRecord moved = new InstanceRecord(r.name(), to, r.branch(), state, null, r.created(),
                    r.pendingGeneration());
            ts.instances().save(tx, moved);
            return new Result(moved, ref);
        }
    }

    /** The instance, if no process runs it and it holds nothing uncommitted (or {@code discard}). */
    private InstanceRecord movable(String instance, boolean discard, String verb) {
        InstanceRecord r = ts.instances().resolve(instance);
        InstanceLock.checkNotRunning(ts.instances().lockFile(r.name()), r.name());
        if (r.dirty() && !discard) {
            throw new ToolstackException(ToolstackException.Kind.DIRTY, "instance " + r.name()
                    + " has uncommitted state; commit it first, or " + verb + " with --discard to drop it");
        }
        return r;
    }

    /** A revision, where a leading "~N" or "^" counts from the instance's base. */
    private SnapshotId resolveFrom(InstanceRecord r, String rev) {
        return ts.resolve(rev.startsWith("~") || rev.startsWith("^") ? r.base().hex() + rev : rev);
    }
}
