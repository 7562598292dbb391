package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.store.ChunkId;
import dev.vmtree.store.RefResult;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.WriteTransaction;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cold migration (docs/migration.md): an instance leaves this repository for another as a
 * <em>migration snapshot</em> pushed to {@code refs/migrations/NAME} of a remote, and this repository
 * keeps its record, retired, saying where it went. The repository it goes to fetches that ref
 * ({@code REMOTE/migrations/NAME}) and resumes the instance from it with {@code instance add}: the
 * same working state, ReplayLog, base, instruction count and VM generation ID, because a migration
 * moves one machine rather than copying it.
 *
 * <p>Order, so that a crash never leaves the machine live in two places nor lost: the snapshot, the
 * local ref {@code refs/migrations/NAME} and the retired record are written first (the instance held
 * meanwhile), then the push; a push that fails or is refused undoes the retirement. A crash between
 * the two leaves the instance retired with its snapshot here, and running {@code migrate} again
 * finishes the push.
 */
public final class Migrations {
    private final Toolstack ts;

    Migrations(Toolstack ts) {
        this.ts = ts;
    }

    /** The ref a migration of instance {@code name} has here and on the remote. */
    public static String ref(String name) {
        String ref = Transfer.MIGRATIONS + name;
        if (!org.eclipse.jgit.lib.Repository.isValidRefName(ref)) {
            throw ToolstackException.badInput("instance '" + name + "' cannot be migrated: " + ref
                    + " is not a valid ref name (rename it: make a new instance and remove this one)");
        }
        return ref;
    }

    /**
     * What a migration did: the retired record, the migration snapshot, the push, and whether this
     * finished a migration that an earlier run left unpushed.
     */
    public record Migrated(InstanceRecord instance, SnapshotId snapshot, StateId state, Sync.Outcome pushed,
                           boolean finished) {}

    /**
     * Migrates stopped instance {@code name} to {@code remote} (a remote's name or URL, holding a vmtree
     * repository or store already): FAILED, with nothing changed, when there is no such instance or
     * remote, when it is held (LOCKED: a run; stop a background run first), when it was migrated
     * already, or when the remote holds another migration of that name (replaced only with
     * {@code force}).
     */
    public Migrated migrate(String name, String remote, boolean force, Transfer.Counters counters) {
        return ts.policy().audited(AuditLog.MIGRATE, name, () -> migrateNow(name, remote, force, counters),
                m -> (m.finished() ? "finished: " : "") + "to " + m.instance().migratedTo().describe() + ", snapshot "
                        + m.snapshot().shortHex() + ", state " + m.state().shortHex());
    }

    private Migrated migrateNow(String name, String remote, boolean force, Transfer.Counters counters) {
        ts.instances().get(name);
        String ref = ref(name);
        try (Sync.Target target = new Sync(ts).open(remote, false);
             InstanceSession s = InstanceSession.open(ts, name, "migrate", true)) {
            InstanceRecord r = s.record();
            if (r.retired()) {
                return finish(s, r, ref, target, counters);
            }
            SnapshotId old = ts.repository().refs().get(ref);
            SnapshotContent content = ts.machines().standingContent(r);
            StoredState standing = new StoredState(content.files(), content.images());
            StateId state = ts.machines().driverFor(standing).stateId(standing);
            Settings.Author a = ts.settings().author();
            SnapshotId id;
            InstanceRecord retired;
            try (WriteTransaction tx = ts.beginWrite()) {
                InstanceRecord now = s.reread(tx);     // as r, but for a branch renamed meanwhile
                MigrationCommit note = new MigrationCommit(name, state, Machines.sinceBase(now), now.branch(),
                        now.pendingGeneration());
                id = tx.writeSnapshot(List.of(now.base()), content, note.message(), a.name(), a.email());
                RefResult moved = tx.updateRef(ref, old, id, "migrate: " + name + " to " + target.describe());
                if (!moved.ok()) {
                    throw ToolstackException.failed(ref + " moved meanwhile (" + moved.status() + "); run the command again");
                }
                retired = s.save(tx, now.withMigratedTo(new InstanceRecord.Migration(target.describe(), ref, id,
                        Instant.now())));
            }
            Sync.Outcome pushed;
            try {
                pushed = target.push(Map.of(ref, ref), force, counters);
                Transfer.RefUpdate u = pushed.result().refs().getFirst();
                if (!u.moved() && u.oldSnapshot() != null) {
                    String other = otherMachine(u.oldSnapshot(), r);
                    if (other != null) {
                        throw ToolstackException.failed(target.describe() + " already holds a migration of instance "
                                + name + " (" + ref + " at " + u.oldSnapshot().shortHex() + ", " + other + "); --force"
                                + " replaces it; nothing changed here");
                    }
                    // an earlier state of this very machine (it was resumed here from there): nothing is lost
                    pushed = target.push(Map.of(ref, ref), true, counters);
                    u = pushed.result().refs().getFirst();
                }
                if (!u.moved()) {
                    throw ToolstackException.failed("the push of " + ref + " to " + target.describe() + " was refused ("
                            + u.why() + "); nothing changed here");
                }
            } catch (RuntimeException e) {
                undo(s, ref, id, old);
                throw e;
            }
            return new Migrated(retired, id, state, pushed, false);
        }
    }

    /**
     * Migrate run again on a retired instance: to the same remote it finishes a migration whose push
     * did not happen (a crash, a dropped connection); else FAILED, it was migrated already.
     */
    private Migrated finish(InstanceSession s, InstanceRecord r, String ref, Sync.Target target,
                            Transfer.Counters counters) {
        InstanceRecord.Migration m = r.migratedTo();
        ToolstackException already = ToolstackException.failed("instance " + r.name() + " was already migrated to "
                + m.describe() + "; nothing changed (`vmtree run --force -i " + r.name() + "` runs it here as a copy)");
        if (!m.ref().equals(ref) || !m.remote().equals(target.describe())
                || !m.snapshot().equals(ts.repository().refs().get(ref))) {
            throw already;
        }
        Sync.Outcome pushed = target.push(Map.of(ref, ref), false, counters);
        Transfer.RefUpdate u = pushed.result().refs().getFirst();
        if (u.outcome() == Transfer.Outcome.UP_TO_DATE || !u.moved()) {
            throw already;
        }
        StoredState st = ts.machines().snapshotState(m.snapshot());
        return new Migrated(r, m.snapshot(), ts.machines().driverFor(st).stateId(st), pushed, true);
    }

    /**
     * Why the migration snapshot {@code theirs} a remote holds is not an earlier state of instance
     * {@code r}'s machine (so replacing it would lose a machine), or null when it is one: a migration
     * snapshot whose machine has {@code r}'s VM generation ID, the very machine, which was resumed here.
     */
    private String otherMachine(SnapshotId theirs, InstanceRecord r) {
        String ours = generationOf(ts.machines().currentState(r), r.pendingGeneration());
        java.util.Optional<MigrationCommit> note;
        StoredState st;
        try {
            note = MigrationCommit.parse(ts.repository().readSnapshot(theirs).message());
            st = ts.machines().snapshotState(theirs);
        } catch (RuntimeException e) {
            return "which this repository lacks: `vmtree fetch` it first to let migrate tell whether it is this machine";
        }
        if (note.isEmpty()) {
            return "not a migration snapshot";
        }
        String id = generationOf(st, note.get().pendingGeneration());
        return ours != null && ours.equals(id) ? null : "another machine: its VM generation ID differs";
    }

    /** The VM generation ID the machine of {@code s} has or will have ({@code pending}), or null when it has none. */
    private String generationOf(StoredState s, GenerationId pending) {
        return pending != null ? pending.hex() : ts.machines().driverFor(s).summarize(s).generationId();
    }

    /** Puts back the record as it was before the migration, and the local ref; the snapshot is left to gc. */
    private void undo(InstanceSession s, String ref, SnapshotId id, SnapshotId old) {
        try (WriteTransaction tx = ts.beginWrite()) {
            s.save(tx, s.reread(tx).withMigratedTo(null));
            tx.updateRef(ref, id, old, "migrate: undone, the push did not happen");
        } catch (RuntimeException e) {
            ts.notice("warning: the migration of " + s.name() + " did not reach the remote and could not be undone"
                    + " here (" + e.getMessage() + "); `vmtree migrate` again finishes it");
        }
    }

    // ---- live migration -------------------------------------------------------------------------

    /**
     * Where a live migration's round-0 snapshot is, here and at the destination, while the migration
     * runs: a namespace of its own, which fetches never bring, so an unfinished live migration leaves
     * nothing anyone could resume.
     */
    public static final String LIVE = "refs/migrating/";

    /** What round 0 of a live migration pushed: its migration snapshot, and the push. */
    public record RoundZero(SnapshotId snapshot, Sync.Outcome pushed) {}

    /**
     * Round 0 of a live migration of running instance {@code r} (its record as just saved, the guest
     * running on): its working state as a migration snapshot, pushed with everything it needs that the
     * destination repository {@code dest} lacks, as {@code refs/migrating/NAME} there. Nothing of the
     * instance record changes; the local ref the push needs is dropped afterwards.
     */
    public RoundZero pushRoundZero(InstanceRecord r, String dest, Transfer.Counters counters) {
        ref(r.name());      // the name makes a valid ref
        String ref = LIVE + r.name();
        SnapshotContent content = ts.machines().standingContent(r);
        StoredState standing = new StoredState(content.files(), content.images());
        StateId state = ts.machines().driverFor(standing).stateId(standing);
        MigrationCommit note = new MigrationCommit(r.name(), state, Machines.sinceBase(r), r.branch(), r.pendingGeneration());
        Settings.Author a = ts.settings().author();
        try (Sync.Target target = new Sync(ts).open(dest, false)) {
            SnapshotId id;
            try (WriteTransaction tx = ts.beginWrite()) {
                id = tx.writeSnapshot(List.of(r.base()), content, note.message(), a.name(), a.email());
                tx.updateRef(ref, ts.repository().refs().get(ref), id, "migrate --live: round 0 of " + r.name());
            }
            try {
                Sync.Outcome pushed = target.push(Map.of(ref, ref), true, counters);
                Transfer.RefUpdate u = pushed.result().refs().getFirst();
                if (!u.moved() && u.outcome() != Transfer.Outcome.UP_TO_DATE) {
                    throw ToolstackException.failed("the push of " + r.name() + "'s state to " + dest + " was refused ("
                            + u.why() + ")");
                }
                return new RoundZero(id, pushed);
            } finally {
                try (WriteTransaction tx = ts.beginWrite()) {
                    tx.updateRef(ref, id, null, "migrate --live: round 0 pushed");
                }
            }
        }
    }

    /**
     * At the destination, before a live migration's stream: FAILED unless instance {@code name} does
     * not exist here and {@code refs/migrating/NAME} names {@code snapshot}, a migration snapshot of
     * that instance (pushed by {@link #pushRoundZero}). Returns its note.
     */
    public MigrationCommit checkArrival(String name, SnapshotId snapshot) {
        InstanceRecord.checkName(name);
        if (ts.instances().find(name).isPresent()) {
            throw ToolstackException.failed("instance '" + name + "' already exists in " + ts.repository().topDirectory());
        }
        String ref = LIVE + name;
        if (!snapshot.equals(ts.repository().refs().get(ref))) {
            throw ToolstackException.failed(ref + " in " + ts.repository().topDirectory() + " does not name "
                    + snapshot.shortHex() + " (round 0 of the migration did not arrive)");
        }
        Snapshot snap = readSnapshot(snapshot);
        MigrationCommit note = MigrationCommit.parse(snap.message()).orElseThrow(() -> ToolstackException.failed(
                snapshot.shortHex() + " is not a migration snapshot"));
        if (!note.instance().equals(name) || snap.parents().size() != 1) {
            throw ToolstackException.failed(snapshot.shortHex() + " is not a migration snapshot of instance " + name);
        }
        return note;
    }

    /**
     * At the destination, after a live migration's stream was applied: instance {@code name} added with
     * the stream's final state, once this repository holds every chunk of it (what round 0 brought,
     * verified by its push, and what the rounds brought, verified by the stream) and its StateId is the
     * one the stream names; at the base round 0's snapshot names, keeping its VM generation ID (as
     * {@link #resume}). The caller checked the arrival ({@link #checkArrival}) before the stream, and
     * drops {@code refs/migrating/NAME} ({@link #abandon}) once the instance runs: the guest does not
     * wait for that.
     */
    public InstanceRecord arrive(String name, SnapshotId roundZero, MigrationStream.State state) {
        if (ts.instances().find(name).isPresent()) {
            throw ToolstackException.failed("instance '" + name + "' already exists in " + ts.repository().topDirectory());
        }
        Snapshot snap = readSnapshot(roundZero);
        SnapshotId base = snap.parents().getFirst();
        if (!state.instance().equals(name) || !state.base().equals(base)) {
            throw ToolstackException.failed("the migration stream's state is not instance " + name + " at "
                    + base.shortHex());
        }
        var store = ts.repository().chunks();
        store.refresh();
        for (var e : state.images().entrySet()) {
            PageTreeRoot before = snap.content().images().get(e.getKey());
            try {
                dev.vmtree.store.PageTree.newChunks(store, before, e.getValue(), id -> {
                    if (!store.contains(id)) {
                        throw ToolstackException.failed("the migration of " + name + " did not bring chunk " + id.shortHex()
                                + " of image " + e.getKey());
                    }
                });
            } catch (StoreException ex) {
                throw ToolstackException.failed("the migration of " + name + " is incomplete: " + ex.getMessage());
            }
        }
        for (var e : state.files().entrySet()) {
            if (!store.contains(e.getValue())) {
                throw ToolstackException.failed("the migration of " + name + " did not bring state file " + e.getKey());
            }
        }
        WorkingState w = state.working();
        StoredState st = ts.machines().workingState(w);
        StateId computed = ts.machines().driverFor(st).stateId(st);
        if (!computed.equals(state.state())) {
            throw ToolstackException.failed("the migration of " + name + " arrived at state " + computed.shortHex()
                    + ", not the " + state.state().shortHex() + " it names");
        }
        String branch = state.branch() != null && base.equals(ts.refs().branchHead(state.branch()).orElse(null))
                ? state.branch() : null;
        GenerationId pending = state.pendingGeneration();
        String twin = twin(st, pending);
        if (twin != null) {
            pending = GenerationId.random();
            ts.notice("instance " + twin + " here has this machine's VM generation ID already: " + name
                    + " is a copy of it, with a new generation ID");
        }
        InstanceRecord r = new InstanceRecord(name, base, branch, ts.machines().machineStateId(base, base.shortHex()),
                w, Instant.now(), pending);
        try (WriteTransaction tx = ts.beginWrite()) {
            ts.instances().add(tx, r);
        }
        return r;
    }

    /**
     * At the destination, when a live migration has ended: drops {@code refs/migrating/NAME} (after a
     * failure, its chunks go at the next gc; after an arrival, the instance's gc root keeps what it needs).
     */
    public void abandon(String name, SnapshotId roundZero) {
        String ref = LIVE + name;
        try (WriteTransaction tx = ts.beginWrite()) {
            if (roundZero.equals(ts.repository().refs().get(ref))) {
                tx.updateRef(ref, roundZero, null, "migrate --live: abandoned");
            }
        }
    }

    private Snapshot readSnapshot(SnapshotId id) {
        try {
            return ts.repository().readSnapshot(id);
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
        }
    }

    // ---- the destination ------------------------------------------------------------------------

    /**
     * Instance {@code name} resumed from migration snapshot {@code id} (found as {@code rev}): its base the
     * snapshot's parent, its working state the snapshot's (files stored as chunks), its instruction count,
     * pending generation ID and branch (when that branch is here at the base and not {@code detach}) from
     * the snapshot's message, checked against the snapshot. Its VM generation ID is the machine's own,
     * unless another instance here has that ID already (this migration resumed twice): then it is a copy
     * and gets a fresh one, with a notice. Not yet saved: returns the record for {@link Instances#add}.
     */
    InstanceRecord resume(WriteTransaction tx, String name, String rev, SnapshotId id, Snapshot snap,
                          MigrationCommit note, boolean detach) {
        if (snap.parents().size() != 1) {
            throw ToolstackException.failed(rev + " (" + id.shortHex() + ") is a damaged migration snapshot: it has "
                    + snap.parents().size() + " parents, not the one base it left from");
        }
        SnapshotId base = snap.parents().getFirst();
        StateId baseState = ts.machines().machineStateId(base, rev + "^");
        StoredState st = ts.machines().machineState(id, rev);
        StateId state = ts.machines().driverFor(st).stateId(st);
        if (!state.equals(note.state())) {
            throw ToolstackException.failed(rev + " (" + id.shortHex() + ") is a damaged migration snapshot: its machine"
                    + " is at state " + state.shortHex() + ", its message says " + note.state().shortHex());
        }
        String branch = !detach && note.branch() != null
                && base.equals(ts.refs().branchHead(note.branch()).orElse(null)) ? note.branch() : null;
        GenerationId pending = note.pendingGeneration();
        String twin = twin(st, pending);
        if (twin != null) {
            pending = GenerationId.random();
            ts.notice("instance " + twin + " here has this machine's VM generation ID already (this migration was"
                    + " resumed before): " + name + " is a copy of it, with a new generation ID");
        }
        Map<String, ChunkId> files = new TreeMap<>();
        st.files().forEach((f, bytes) -> files.put(f, tx.chunks().put(bytes)));
        WorkingState w = new WorkingState(state, st.images(), files, note.instructionsSinceBase());
        return new InstanceRecord(name, base, branch, baseState, w, Instant.now(), pending);
    }

    /**
     * The instance here, not retired, whose machine has the VM generation ID the migrated machine will
     * have ({@code pending}, else its state's), or null; also null when the machine type has none.
     */
    private String twin(StoredState migrated, GenerationId pending) {
        String id = generationOf(migrated, pending);
        if (id == null) {
            return null;
        }
        for (InstanceRecord o : ts.instances().scan().sound()) {
            if (o.retired()) {
                continue;       // a machine that went elsewhere, maybe the very one coming back
            }
            if (id.equals(generationOf(ts.machines().currentState(o), o.pendingGeneration()))) {
                return o.name();
            }
        }
        return null;
    }

}
