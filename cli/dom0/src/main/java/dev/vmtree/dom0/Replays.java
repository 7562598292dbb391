package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.Replay;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.WriteTransaction;
import java.time.Instant;

/**
 * Deterministic replay (docs/replay.md): a snapshot carries the ReplayLog of everything that
 * reached its machine from outside since its parent (console bytes, entropy, `mem write`, `reg`,
 * NBD writes), each stamped with the instruction count at which it happened. Starting from the
 * parent's state and giving the log back at those counts must reproduce the snapshot bit for bit;
 * any moment in between can be materialised as an instance.
 *
 * <p>Threading: as {@link Toolstack}, one thread at a time.
 */
public final class Replays {
    private final Toolstack ts;

    Replays(Toolstack ts) {
        this.ts = ts;
    }

    /** Where a replay should stop: {@code instructions} (-1: the snapshot's own count) or the first time a hart is at {@code pc}. */
    public record Stop(long instructions, long pc) {
        public static final Stop AT_SNAPSHOT = new Stop(-1, Replay.NO_PC);
    }

    /**
     * What a replay did.
     *
     * @param from        the parent's instruction count, where the replay started
     * @param end         the snapshot's instruction count, where its log ends
     * @param target      where it was asked to stop (the snapshot's count unless --until)
     * @param expected    the snapshot's StateId
     * @param actual      the StateId the replay reached
     * @param replayed    the replayed state (persisted: its pages are in the store)
     * @param snapshot    the snapshot's state, for comparing
     * @param divergence  the first moment the run disagreed with the log, or null
     * @param instance    the instance made by {@code toInstance}, or null
     */
    public record Result(String rev, SnapshotId ref, SnapshotId parent, long from, long end, long target, long reached,
                         RunOutcome outcome, StateId expected, StateId actual, StoredState replayed, StoredState snapshot,
                         String divergence, InstanceRecord instance) {

        /** Whether the replay stopped at the snapshot's own moment. */
        public boolean atSnapshot() {
            return reached == end;
        }

        /** Whether the replay reproduced the snapshot exactly: same moment, same StateId. */
        public boolean verified() {
            return atSnapshot() && expected.equals(actual);
        }
    }

    /**
     * Where a snapshot came from: itself, its state and its first parent's. {@code state} carries the
     * ReplayLog between them (its file {@code replay.log} and, from format version 3, the images
     * that file names), which {@link MachineDriver#replay} and {@link MachineDriver#debug} read.
     */
    public record Origin(SnapshotId snapshot, StoredState state, SnapshotId parentId, StoredState parent) {}

    /** The origin of snapshot {@code rev}; FAILED for a root snapshot or one without a log. */
    public Origin origin(String rev) {
        Machines machines = ts.machines();
        SnapshotId id = ts.resolve(rev);
        StoredState state = machines.machineState(id, rev);
        Snapshot snap = read(id);
        if (snap.parents().isEmpty()) {
            throw ToolstackException.failed(rev + " (" + id.shortHex() + ") is a root snapshot: its state was made by"
                    + " `vmtree create`, not by running, so there is nothing to replay");
        }
        SnapshotId parentId = snap.parents().getFirst();
        StoredState parent = machines.machineState(parentId, rev + "^");
        if (!state.files().containsKey(Machines.LOG_FILE)) {
            throw ToolstackException.failed(rev + " (" + id.shortHex() + ") carries no ReplayLog");
        }
        return new Origin(id, state, parentId, parent);
    }

    /**
     * Replays snapshot {@code rev} from its parent up to {@code stop}. With {@code toInstance}, the
     * reached state becomes a new instance of that name, detached at the parent with the replayed
     * state as its working state (dirty unless it equals the parent), committed like any other.
     */
    public Result replay(String rev, Stop stop, String toInstance) {
        if (toInstance != null) {
            InstanceRecord.checkName(toInstance);
            if (ts.instances().find(toInstance).isPresent()) {
                throw ToolstackException.failed("instance '" + toInstance + "' already exists");
            }
        }
        Machines machines = ts.machines();
        MachineDriver driver = machines.driver();
        Origin o = origin(rev);
        SnapshotId id = o.snapshot();
        StoredState state = o.state();
        SnapshotId parentId = o.parentId();
        StoredState parent = o.parent();
        long from = driver.summarize(parent).instructions();
        long end = driver.summarize(state).instructions();
        long target = stop.instructions() < 0 ? end : stop.instructions();
        if (target < from || target > end) {
            throw ToolstackException.badInput(String.format("--until %,d is outside %s's run: %,d..%,d", target, rev,
                    from, end));
        }
        RunOutcome outcome;
        WorkingState w;
        String divergence;
        try (Replay m = driver.replay(ts.repository(), parent, state);
             Progress.Task p = ts.progress().begin("replaying " + rev, "instructions", m::instructions)) {
            outcome = m.replayTo(target, stop.pc(), MachineDriver.Console.DISCARD);
            divergence = m.divergence();
            try (WriteTransaction tx = ts.beginWrite()) {
                w = m.persist(tx, m.instructions() - from);
                InstanceRecord made = null;
                if (toInstance != null) {
                    StateId parentState = driver.stateId(parent);
                    made = new InstanceRecord(toInstance, parentId, null, parentState, w, Instant.now());
                    ts.instances().add(tx, made);
                }
                return new Result(rev, id, parentId, from, end, target, from + w.instructionsSinceBase(), outcome,
                        driver.stateId(state), w.stateId(), machines.workingState(w), state, divergence, made);
            }
        }
    }

    private Snapshot read(SnapshotId id) {
        try {
            return ts.repository().readSnapshot(id);
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
        }
    }
}
