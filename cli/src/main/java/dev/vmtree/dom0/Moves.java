package dev.vmtree.dom0;

import dev.vmtree.store.ExtraRoot;
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

    /**
     * Rewrites a damaged instance record (like rebuilding a corrupt Git index from HEAD): at
     * {@code rev} when given (a branch name is followed, as by checkout), else at the base snapshot
     * its gc root {@code instance/NAME} names (the last record saved whole), on the branch the
     * damaged record still names if that branch exists and reaches that base, otherwise detached.
     * A working state cannot be trusted from a damaged record, so one it held (its root keeps
     * images or state files) is dropped, and only with {@code discard}. Refused on a sound record
     * (that is checkout's work) and while a process holds the instance.
     */
    Result repair(String name, String rev, boolean discard) {
        InstanceRecord.checkName(name);
        Instances.Damaged damaged = ts.instances().damaged(name).orElseThrow(() -> ts.instances().find(name).isPresent()
                ? ToolstackException.failed("instance " + name + " is not damaged; point it elsewhere with `vmtree"
                        + " checkout -i " + name + " REF`")
                : ToolstackException.failed("no instance '" + name + "' (see `vmtree instance list`)"));
        InstanceLock.checkNotRunning(ts.instances().lockFile(name), name);
        InstanceFile.Remains remains = ts.instances().remains(name);
        ExtraRoot root = ts.repository().extraRoots().stream()
                .filter(x -> x.name().equals(Instances.ROOT_PREFIX + name)).findFirst().orElse(null);
        boolean heldWork = remains.working() || (root != null && (!root.trees().isEmpty() || !root.chunks().isEmpty()));
        if (heldWork && !discard) {
            throw new ToolstackException(ToolstackException.Kind.DIRTY, "instance " + name + " had a working state"
                    + " (maybe uncommitted) that its damaged record (" + damaged.reason() + ") cannot give back; repair it"
                    + " with --discard to drop that state (its pages stay in the store until the next gc)");
        }
        SnapshotId base;
        String branch;
        String label;
        if (rev != null) {
            String shortName = rev.startsWith(Refs.HEADS) ? rev.substring(Refs.HEADS.length()) : rev;
            base = ts.resolve(rev);
            branch = ts.repository().refs().containsKey(Refs.HEADS + shortName) ? shortName : null;
            label = rev;
        } else {
            base = root != null && root.snapshots().size() == 1 ? root.snapshots().getFirst()
                    : remains.base() != null && isSnapshot(remains.base()) ? remains.base()
                    : null;
            if (base == null) {
                throw ToolstackException.failed("cannot tell which snapshot instance " + name + " stood on; repair it"
                        + " with --to REF");
            }
            branch = followable(remains.branch(), base) ? remains.branch() : null;
            label = name + "'s base";
        }
        StateId state = ts.machines().machineStateId(base, label);
        InstanceRecord repaired = new InstanceRecord(name, base, branch, state, null,
                remains.created() != null ? remains.created() : java.time.Instant.now());
        try (WriteTransaction tx = ts.beginWrite()) {
            if (ts.instances().damaged(name).isEmpty()) {
                throw ToolstackException.failed("instance " + name + " changed meanwhile; try again");
            }
            ts.instances().save(tx, repaired);
        }
        return new Result(repaired, null);
    }

    /** True when {@code id} (read from a damaged record) names a snapshot in the store. */
    private boolean isSnapshot(SnapshotId id) {
        try {
            return ts.repository().resolve(id.hex()).isPresent();
        } catch (dev.vmtree.store.StoreException e) {
            return false;
        }
    }

    /** A branch named by a damaged record is kept only if it exists and reaches the base (else: detached). */
    private boolean followable(String branch, SnapshotId base) {
        if (branch == null) {
            return false;
        }
        try {
            Refs.checkName("branch", branch);
        } catch (ToolstackException e) {
            return false;
        }
        SnapshotId head = ts.repository().refs().get(Refs.HEADS + branch);
        return head != null && ts.history().isAncestorOfAny(base, java.util.List.of(head));
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
