package dev.vmtree.dom0;

import dev.vmtree.store.ChunkId;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.WriteTransaction;
import java.util.List;
import java.util.Map;

/**
 * Finishes, when an {@link InstanceSession} opens, what a command killed halfway left behind. Every
 * change of an instance writes in this order: (1) the snapshot and the branch ref, (2) the instance
 * record, (3) the instance's reflog ref {@code refs/instances/NAME}. The record and the refs then tell
 * which step was reached:
 * <ul>
 *   <li>the instance's branch is one snapshot ahead of its base, and that snapshot (child of the base)
 *       holds exactly the instance's working state, images and files alike: a commit was killed
 *       between (1) and (2). It is finished: the record moves to that snapshot, clean, still on the
 *       branch (a second commit would otherwise duplicate it and leave the instance detached).</li>
 *   <li>the reflog ref is missing or not at the record's base: a command was killed between (2) and
 *       (3), or the instance predates reflogs. The ref is moved to the base, logged as such.</li>
 * </ul>
 * Anything else is left as it is: a branch moved by another instance is not an interrupted commit.
 */
final class InstanceRecovery {
    private final Toolstack ts;
    private final InstanceSession session;

    InstanceRecovery(Toolstack ts, InstanceSession session) {
        this.ts = ts;
        this.session = session;
    }

    /** True when {@code r} needs recovering (read-only: takes no lock). */
    static boolean needed(Toolstack ts, InstanceRecord r) {
        String head = Instances.headRef(r.name());
        return interruptedCommit(ts, r) != null || (head != null && !r.base().equals(ts.repository().refs().get(head)));
    }

    void run() {
        InstanceRecord r = session.record();
        if (!needed(ts, r)) {
            return; // the usual case: nothing to do, and no write lock taken
        }
        String head = Instances.headRef(r.name());
        try (WriteTransaction tx = ts.beginWrite()) {
            r = session.reread(tx);
            SnapshotId committed = interruptedCommit(ts, r);
            if (committed != null) {
                String subject = ts.history().log(List.of(committed), 1).getFirst().subject();
                session.save(tx, new InstanceRecord(r.name(), committed, r.branch(), r.working().stateId(), null,
                        r.created(), r.pendingGeneration()));
                session.moveHead(tx, committed, "commit: " + subject + " (finished after an interrupted commit)");
                ts.notice("finished the interrupted commit of instance " + r.name() + ": branch " + r.branch()
                        + " was already at " + committed.shortHex() + ", which holds exactly its working state");
                return;
            }
            SnapshotId at = head == null ? null : ts.repository().refs().get(head);
            if (head != null && !r.base().equals(at)) {
                session.moveHead(tx, r.base(), "instance: at " + r.base().shortHex()
                        + (at == null ? "" : " (recorded after an interrupted command)"));
            }
        }
    }

    /** The snapshot an interrupted commit of {@code r} left its branch at, or null when that did not happen. */
    private static SnapshotId interruptedCommit(Toolstack ts, InstanceRecord r) {
        if (r.branch() == null || !r.dirty()) {
            return null;
        }
        SnapshotId h = ts.repository().refs().get(Refs.HEADS + r.branch());
        if (h == null || h.equals(r.base())) {
            return null;
        }
        Snapshot s;
        try {
            s = ts.repository().readSnapshot(h);
        } catch (StoreException e) {
            return null; // a damaged head is fsck's to report, not a commit to finish
        }
        WorkingState w = r.working();
        if (!s.parents().equals(List.of(r.base())) || !s.content().images().equals(w.images())) {
            return null;
        }
        Map<String, byte[]> files = s.content().files();
        if (!files.keySet().equals(w.files().keySet())) {
            return null;
        }
        for (var e : w.files().entrySet()) {
            if (!ChunkId.hash(files.get(e.getKey())).equals(e.getValue())) {
                return null;
            }
        }
        return h;
    }
}
