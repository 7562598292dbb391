package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.LiveMachine;

/**
 * One life of an instance's machine in this process: the instance held (its {@link InstanceSession}),
 * its machine restored, the instructions it has run counted, and its saves. This is the lifecycle
 * every front end shares: {@code vmtree run} in the foreground, {@code vmtree disk serve} (a machine
 * changed only through its disk), and each background instance of the Dom0 daemon. They differ only
 * in what drives the machine between {@link Toolstack#startRun} and {@link #close}.
 *
 * <p>Saving: {@link #save} (the machine stopped) stores the working state and tells the machine it is
 * named. A save of a machine that runs on is split: {@link #capture} on the machine's thread, then
 * {@link #save(MachineDriver.Capture, long)} on any thread, then {@link #confirm} back on the
 * machine's thread. {@link #commit} snapshots the working state in the held session.
 *
 * <p>Threading: the machine belongs to one thread; the session, the toolstack and the saves to one
 * thread at a time (the daemon takes turns under a lock).
 */
public final class InstanceRun implements AutoCloseable {
    private final Toolstack ts;
    private final InstanceSession session;
    private LiveMachine machine;
    private final long sinceBaseAtStart;
    private volatile long run;

    private InstanceRun(Toolstack ts, InstanceSession session, LiveMachine machine) {
        this.ts = ts;
        this.session = session;
        this.machine = machine;
        this.sinceBaseAtStart = Machines.sinceBase(session.record());
    }

    /** See {@link Toolstack#startRun}. */
    static InstanceRun start(Toolstack ts, String instance, String activity, boolean force) {
        InstanceSession s = InstanceSession.open(ts, instance, activity, force);
        try {
            if (s.record().retired()) {
                revive(ts, s);
            }
            return new InstanceRun(ts, s, ts.machines().open(s.record()));
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * A retired instance run with force: it becomes an instance of this repository again, as a copy of
     * the machine that went elsewhere, so it gets a fresh generation ID (docs/security.md, "Clones").
     */
    private static void revive(Toolstack ts, InstanceSession s) {
        InstanceRecord.Migration was = s.record().migratedTo();
        String detail = "run --force: was migrated to " + was.describe() + "; runs here as a copy with a new VM"
                + " generation ID";
        try (dev.vmtree.store.WriteTransaction tx = ts.beginWrite()) {
            InstanceRecord r = s.reread(tx);
            s.save(tx, r.withMigratedTo(null).withPendingGeneration(GenerationId.random()));
        }
        ts.policy().audit(dev.vmtree.dom0.policy.AuditLog.FORCE, s.name(), dev.vmtree.dom0.policy.AuditLog.Outcome.OK,
                detail);
        ts.notice("instance " + s.name() + " was migrated to " + was.describe() + "; running it here anyway, as a copy"
                + " with a new VM generation ID (--force)");
    }

    /** The record as the session last read or wrote it. */
    public InstanceRecord record() {
        return session.record();
    }

    public String name() {
        return session.name();
    }

    public LiveMachine machine() {
        return machine;
    }

    /** Counts {@code instructions} more run by the machine (a {@link MachineDriver.RunOutcome}'s). */
    public void ran(long instructions) {
        run += instructions;
    }

    /** Instructions run in this life. */
    public long instructionsRun() {
        return run;
    }

    /** Instructions the instance has run since its base snapshot, as its next save records. */
    public long sinceBase() {
        return sinceBaseAtStart + run;
    }

    /**
     * After a run that stopped {@link MachineDriver.StopCause#UNAVAILABLE} (a lazy clone's remote
     * is gone): replaces the machine, stopped inside an instruction, by one re-run from the last
     * saved state to where it was last whole ({@link Machines#recover}), so {@link #save} stores the
     * run up to there. On the machine's thread. CANNOT_RUN when that fails; the old machine is then
     * kept (it cannot be saved: the instance stays at its last saved state).
     */
    public void recover() {
        LiveMachine whole = ts.machines().recover(session.record(), machine);
        LiveMachine lost = machine;
        machine = whole;
        lost.close();
    }

    /** Saves the stopped machine as the working state (compare-and-swap in the session); returns the record. */
    public InstanceRecord save() {
        return ts.machines().suspend(session, machine, sinceBase());
    }

    /** On the machine's thread, between runs: the state to save, taken at once (copy-on-write). */
    public MachineDriver.Capture capture() {
        return machine.capture(sinceBase());
    }

    /** Stores a {@link #capture} as the working state, on any thread; {@link #confirm} it afterwards. */
    public InstanceRecord save(MachineDriver.Capture capture, long dirtyPages) {
        return ts.machines().save(session, capture, dirtyPages);
    }

    /** On the machine's thread: a saved capture is named, so later saves store only what changed since. */
    public void confirm(InstanceRecord saved) {
        machine.persisted(saved.working());
    }

    /**
     * Retires the instance (its record says where it went) while this life holds it: the end of a
     * live migration, after the destination runs it. The save that ends the run keeps the retirement.
     */
    public InstanceRecord retire(InstanceRecord.Migration where) {
        try (dev.vmtree.store.WriteTransaction tx = ts.beginWrite()) {
            return session.save(tx, session.reread(tx).withMigratedTo(where));
        }
    }

    /** Snapshots the working state as it was last saved (see {@link Machines#commit(InstanceSession, String)}). */
    public Machines.Committed commit(String message) {
        return ts.machines().commit(session, message);
    }

    /** Closes the machine, then lets the instance go. */
    @Override
    public void close() {
        try {
            machine.close();
        } finally {
            session.close();
        }
    }
}
