package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.Replay;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineDriver.StopCause;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * git bisect for machine time (docs/replay.md): finds the first snapshot on the path from GOOD to
 * BAD where a {@link Condition} holds, then the first instruction of that snapshot's run at which
 * it holds, by replaying the run from its parent. Memory and register conditions are tested on
 * stored snapshots directly (a binary search; each test reads a few lazily faulted pages); console
 * conditions are followed through the replayed output, snapshot after snapshot. Within a run the
 * search goes forward in chunks of {@link #CHUNK} instructions, then replays the last chunk one
 * instruction at a time, so it finds the first moment even when the condition later stops holding.
 *
 * <p>Threading: as {@link Toolstack}, one thread at a time.
 */
public final class Bisect {
    /** Instructions between two tests of the condition before the last chunk is stepped through. */
    static final long CHUNK = 1L << 15;
    /** How far back from BAD the search looks for GOOD. */
    static final int MAX_PATH = 1 << 16;

    private final Toolstack ts;
    private final Machines machines;
    private final MachineDriver driver;

    Bisect(Toolstack ts) {
        this.ts = ts;
        this.machines = ts.machines();
        this.driver = machines.driver();
    }

    /** One snapshot tested on the way (in the order tested). */
    public record Step(SnapshotId snapshot, boolean holds) {}

    /**
     * The answer: the first snapshot where the condition holds, its parent, and the first moment of
     * its run: after {@code instruction} instructions, the last executed by {@code hart} at {@code pc}.
     */
    public record Found(List<SnapshotId> path, List<Step> steps, SnapshotId first, SnapshotId parent, long instruction,
                        int hart, long pc) {}

    /** Searches from {@code good} (condition false) to {@code bad} (condition true); {@code progress} hears each step. */
    public Found search(String good, String bad, Condition condition, Consumer<Step> progress) {
        SnapshotId goodId = ts.resolve(good), badId = ts.resolve(bad);
        List<SnapshotId> path = path(good, goodId, bad, badId);
        List<Step> steps = new ArrayList<>();
        Consumer<Step> record = s -> {
            steps.add(s);
            progress.accept(s);
        };
        int first;
        Transcript transcript = null;
        if (condition instanceof Condition.ConsoleOutput c) {
            transcript = new Transcript(c.wanted());
            first = -1;
            for (int i = 1; i < path.size() && first < 0; i++) {
                Transcript t = transcript.copy();
                boolean holds = replayHolds(path.get(i), t);
                record.accept(new Step(path.get(i), holds));
                if (holds) {
                    first = i;
                } else {
                    transcript = t;
                }
            }
            if (first < 0) {
                throw ToolstackException.failed("the guest never printed '" + c.wanted() + "' between " + good + " and "
                        + bad);
            }
        } else {
            if (holdsAt(goodId, condition)) {
                throw ToolstackException.failed("the condition already holds at " + good + " (" + goodId.shortHex()
                        + "): pick an earlier good snapshot");
            }
            if (!holdsAt(badId, condition)) {
                throw ToolstackException.failed("the condition does not hold at " + bad + " (" + badId.shortHex()
                        + "): nothing to find");
            }
            int lo = 0, hi = path.size() - 1;
            while (hi - lo > 1) {
                int mid = (lo + hi) >>> 1;
                boolean holds = holdsAt(path.get(mid), condition);
                record.accept(new Step(path.get(mid), holds));
                if (holds) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            first = hi;
        }
        return moment(path, steps, first, condition, transcript);
    }

    /** The first-parent path from {@code good} to {@code bad}, both included. */
    private List<SnapshotId> path(String good, SnapshotId goodId, String bad, SnapshotId badId) {
        List<SnapshotId> back = new ArrayList<>();
        SnapshotId at = badId;
        while (true) {
            back.add(at);
            if (at.equals(goodId)) {
                break;
            }
            List<SnapshotId> parents = read(at).parents();
            if (parents.isEmpty() || back.size() > MAX_PATH) {
                throw ToolstackException.failed(good + " (" + goodId.shortHex() + ") is not an ancestor of " + bad
                        + " (" + badId.shortHex() + ")");
            }
            at = parents.getFirst();
        }
        if (back.size() < 2) {
            throw ToolstackException.failed(good + " and " + bad + " are the same snapshot: nothing to search");
        }
        return back.reversed();
    }

    private boolean holdsAt(SnapshotId id, Condition condition) {
        StoredState s = machines.machineState(id, id.shortHex());
        try (LiveMachine m = machines.open(s)) {
            return holds(m, condition, null);
        }
    }

    private static boolean holds(LiveMachine m, Condition condition, Transcript transcript) {
        return switch (condition) {
            case Condition.Memory c -> c.holds(m);
            case Condition.Register c -> c.holds(m);
            case Condition.ConsoleOutput c -> transcript.found();
        };
    }

    /** Replays a whole snapshot's run, printing into {@code t}; whether its text appeared. */
    private boolean replayHolds(SnapshotId id, Transcript t) {
        try (Replay m = replayOf(id)) {
            m.replayTo(end(id), Replay.NO_PC, t);
            return t.found();
        }
    }

    private Found moment(List<SnapshotId> path, List<Step> steps, int first, Condition condition, Transcript before) {
        SnapshotId id = path.get(first), parent = path.get(first - 1);
        long end = end(id);
        // forward in chunks until it holds: the first moment lies in the last chunk
        long chunkStart;
        try (Replay m = replayOf(id)) {
            Transcript t = before == null ? null : before.copy();
            chunkStart = m.instructions();
            while (true) {
                long from = m.instructions();
                RunOutcome o = m.replayTo(Math.min(end, from + CHUNK), Replay.NO_PC, out(t));
                if (holds(m, condition, t)) {
                    chunkStart = from;
                    break;
                }
                if (m.instructions() >= end || o.cause() != StopCause.BUDGET) {
                    throw ToolstackException.failed("replaying " + id.shortHex() + " never reached a moment where the"
                            + " condition holds, though the snapshot satisfies it"
                            + (m.divergence() == null ? "" : " (the replay diverged: " + m.divergence() + ")"));
                }
            }
        }
        // again, then one instruction at a time through that chunk
        try (Replay m = replayOf(id)) {
            Transcript t = before == null ? null : before.copy();
            m.replayTo(chunkStart, Replay.NO_PC, out(t));
            while (!holds(m, condition, t)) {
                int hart = m.currentHart();
                long pc = m.registers(hart).get("pc");
                long at = m.instructions();
                m.replayTo(at + 1, Replay.NO_PC, out(t));
                if (m.instructions() == at) {
                    throw ToolstackException.failed("the replay of " + id.shortHex() + " stopped at instruction " + at
                            + " before the condition held");
                }
                if (holds(m, condition, t)) {
                    return new Found(path, steps, id, parent, m.instructions(), hart, pc);
                }
            }
            return new Found(path, steps, id, parent, m.instructions(), m.currentHart(),
                    m.registers(m.currentHart()).get("pc"));
        }
    }

    private static MachineDriver.Console out(Transcript t) {
        return t == null ? MachineDriver.Console.DISCARD : t;
    }

    private Replay replayOf(SnapshotId id) {
        Snapshot s = read(id);
        if (s.parents().isEmpty()) {
            throw ToolstackException.failed(id.shortHex() + " is a root snapshot: it has no run to replay");
        }
        StoredState state = machines.machineState(id, id.shortHex());
        if (!state.files().containsKey(Machines.LOG_FILE)) {
            throw ToolstackException.failed(id.shortHex() + " carries no ReplayLog");
        }
        return driver.replay(ts.repository(), machines.machineState(s.parents().getFirst(), id.shortHex() + "^"), state);
    }

    private long end(SnapshotId id) {
        return driver.summarize(machines.machineState(id, id.shortHex())).instructions();
    }

    private Snapshot read(SnapshotId id) {
        try {
            return ts.repository().readSnapshot(id);
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
        }
    }

    /**
     * Guest output seen so far, as much as can still complete the wanted text, and whether the text
     * has appeared; checking costs only the bytes that came since the last check.
     */
    static final class Transcript implements MachineDriver.Console {
        private final byte[] wanted;
        private final StringBuilder tail = new StringBuilder();
        private boolean found;

        Transcript(String wanted) {
            this.wanted = wanted.getBytes(StandardCharsets.ISO_8859_1);
        }

        Transcript copy() {
            Transcript t = new Transcript(new String(wanted, StandardCharsets.ISO_8859_1));
            t.tail.append(tail);
            t.found = found;
            return t;
        }

        boolean found() {
            return found;
        }

        @Override
        public int poll() {
            return END;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = 0; i < len && !found; i++) {
                tail.append((char) (b[off + i] & 0xFF));
                if (tail.length() > wanted.length) {
                    tail.deleteCharAt(0);
                }
                found = tail.length() == wanted.length && endsWithWanted();
            }
        }

        private boolean endsWithWanted() {
            for (int i = 0; i < wanted.length; i++) {
                if (tail.charAt(i) != (char) (wanted[i] & 0xFF)) {
                    return false;
                }
            }
            return true;
        }
    }
}
