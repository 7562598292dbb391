package dev.vmtree.dom0;

import dev.vmtree.store.ExtraRoot;
import dev.vmtree.store.RefResult;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;

/**
 * Pointing instances at snapshots: the record half of {@code checkout} and {@code rollback}. Both
 * are O(1) in machine size by design (nothing is read until a run faults pages in), so they need
 * no machine: in the instance's {@link InstanceSession} (LOCKED while another process holds it) they
 * refuse uncommitted state unless told to discard it (DIRTY), then move refs, rewrite the record by
 * compare-and-swap and log the move in the instance's reflog, under the repository's write lock.
 * Leaving a detached snapshot that nothing else reaches is warned about, as git does.
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

    /** What {@code checkout -} goes back to. */
    static final String PREVIOUS = "-";

    Result checkout(String instance, String rev, boolean discard) {
        try (InstanceSession s = movable(instance, discard, "check out")) {
            InstanceRecord r = s.record();
            String target = rev.equals(PREVIOUS) ? previous(r) : rev;
            String name = target.startsWith(Refs.HEADS) ? target.substring(Refs.HEADS.length()) : target;
            boolean branch = ts.repository().refs().containsKey(Refs.HEADS + name);
            SnapshotId to = resolveFrom(r, target);
            StateId state = ts.machines().machineStateId(to, target);
            try (WriteTransaction tx = ts.beginWrite()) {
                r = s.reread(tx);
                if (branch && !to.equals(ts.repository().refs().get(Refs.HEADS + name))) {
                    throw ToolstackException.failed("branch '" + name + "' moved or was deleted meanwhile; run the"
                            + " command again");
                }
                InstanceRecord moved = s.save(tx, new InstanceRecord(r.name(), to, branch ? name : null, state, null,
                        r.created(), r.pendingGeneration()));
                s.moveHead(tx, to, "checkout: moving from " + position(r) + " to " + (branch ? name : to.hex()));
                warnIfLeaving(r, to);
                return new Result(moved, null);
            }
        }
    }

    /**
     * Creates branch {@code branch} at {@code start} (null: the instance's base) and puts the instance
     * on it. Started at the base, the instance keeps its working state (as git keeps the work tree),
     * so uncommitted changes can be moved onto a new branch before committing them.
     */
    Result checkoutNewBranch(String instance, String branch, String start, boolean discard) {
        Refs.checkName("branch", branch);
        try (InstanceSession s = ts.session(instance, "checkout")) {
            InstanceRecord r = s.record();
            String from = start == null ? r.base().hex() : start;
            SnapshotId at = resolveFrom(r, from);
            boolean keep = at.equals(r.base()) && !discard;
            if (!keep) {
                refuseDirty(r, discard, "check out");
            }
            StateId state = ts.machines().machineStateId(at, start == null ? "the base" : start);
            try (WriteTransaction tx = ts.beginWrite()) {
                r = s.reread(tx);
                RefResult ref = tx.updateRef(Refs.HEADS + branch, null, at, "branch: created from " + from);
                if (!ref.ok()) {
                    throw ToolstackException.failed("branch '" + branch + "' already exists");
                }
                InstanceRecord moved = s.save(tx, new InstanceRecord(r.name(), at, branch, state,
                        keep ? r.working() : null, r.created(), r.pendingGeneration()));
                s.moveHead(tx, at, "checkout: moving from " + position(r) + " to " + branch);
                warnIfLeaving(r, at);
                return new Result(moved, ref);
            }
        }
    }

    /**
     * Moves the instance's branch (if any) and the instance back to {@code rev} ("~N" and "^" count
     * from the instance's base). The dropped snapshots stay reachable from the reflog until gc.
     */
    Result rollback(String instance, String rev, boolean discard) {
        return rollback(instance, rev, discard, false);
    }

    /** As above; a protected branch moved anywhere but forward needs {@code force} (and is audited). */
    Result rollback(String instance, String rev, boolean discard, boolean force) {
        try (InstanceSession s = movable(instance, discard, "roll back")) {
            InstanceRecord r = s.record();
            SnapshotId to = resolveFrom(r, rev == null ? "~1" : rev);
            StateId state = ts.machines().machineStateId(to, rev == null ? "~1" : rev);
            try (WriteTransaction tx = ts.beginWrite()) {
                r = s.reread(tx);
                RefResult ref = null;
                boolean guarded = false;
                if (r.branch() != null) {
                    SnapshotId head = ts.refs().branchHead(r.branch()).orElse(null);
                    boolean forward = head == null || ts.history().isAncestorOfAny(head, java.util.List.of(to));
                    guarded = !forward && ts.refs().guard(Refs.HEADS + r.branch(), force, "moved back");
                    ref = tx.updateRef(Refs.HEADS + r.branch(), head, to, "rollback: to " + to.shortHex()
                            + (head == null ? "" : " from " + head.shortHex()));
                    if (!ref.ok()) {
                        throw ToolstackException.failed("branch '" + r.branch() + "' moved meanwhile; try again");
                    }
                }
                InstanceRecord moved = s.save(tx, new InstanceRecord(r.name(), to, r.branch(), state, null, r.created(),
                        r.pendingGeneration()));
                s.moveHead(tx, to, "rollback: to " + to.shortHex() + " from " + r.base().shortHex());
                warnIfLeaving(r, to);
                if (guarded) {
                    ts.refs().forced("rolled protected branch " + r.branch() + " back to " + to.shortHex()
                            + " (was " + ref.oldId().shortHex() + ")");
                }
                return new Result(moved, ref);
            }
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
            Instances.moveHead(ts.repository(), tx, name, base, "instance repair: at " + base.shortHex());
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

    /**
     * The instance's session, if no other process holds it and it holds nothing uncommitted (or
     * {@code discard}); the caller closes it.
     */
    private InstanceSession movable(String instance, boolean discard, String verb) {
        InstanceSession s = ts.session(instance, verb.replace(" ", ""));   // "checkout", "rollback"
        try {
            refuseDirty(s.record(), discard, verb);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static void refuseDirty(InstanceRecord r, boolean discard, String verb) {
        if (r.dirty() && !discard) {
            throw new ToolstackException(ToolstackException.Kind.DIRTY, "instance " + r.name()
                    + " has uncommitted state; commit it first, or " + verb + " with --discard to drop it");
        }
    }

    /** Where the instance stands, as a checkout reflog entry names it: its branch, else its base's full id. */
    private static String position(InstanceRecord r) {
        return r.branch() != null ? r.branch() : r.base().hex();
    }

    /** The position before the latest checkout, from the instance's reflog (git's {@code @{-1}}). */
    private String previous(InstanceRecord r) {
        String head = Instances.headRef(r.name());
        if (head != null) {
            for (var e : ts.repository().reflog(head)) {
                java.util.regex.Matcher m = CHECKOUT.matcher(e.message());
                if (m.matches()) {
                    return m.group(1);
                }
            }
        }
        throw ToolstackException.failed("no previous position: instance " + r.name() + " has not checked out"
                + " anything else yet (see `vmtree reflog -i " + r.name() + "`)");
    }

    private static final java.util.regex.Pattern CHECKOUT = java.util.regex.Pattern.compile(
            "checkout: moving from (\\S+) to \\S+");

    private void warnIfLeaving(InstanceRecord was, SnapshotId to) {
        ts.leavingBehind(was, to).ifPresent(ts::notice);
    }

    /** A revision, where a leading "~N" or "^" counts from the instance's base. */
    private SnapshotId resolveFrom(InstanceRecord r, String rev) {
        return ts.resolve(rev.startsWith("~") || rev.startsWith("^") ? r.base().hex() + rev : rev);
    }
}
