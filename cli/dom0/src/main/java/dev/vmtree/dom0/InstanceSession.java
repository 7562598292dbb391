package dev.vmtree.dom0;

import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.util.Arrays;

/**
 * One holder's exclusive use of an instance (ARCHITECTURE.md Contracts, "Instance sessions"): the
 * instance's {@link InstanceLock} for as long as the session is open, the record as read under that
 * lock, and a compare-and-swap {@link #save}: the record is written only while the stored one is still
 * byte for byte what this session read or last wrote, so no change made meanwhile is ever overwritten
 * from a stale read. Every operation that changes an instance (run, disk serve, mem write, reg,
 * commit, checkout, rollback) goes through a session; a daemon will hold them the same way.
 *
 * <p>A session also keeps the instance's reflog, the ref {@code refs/instances/NAME} that follows the
 * instance's base (see {@link #moveHead}), and on opening finishes what a killed command left half
 * done ({@link InstanceRecovery}). Threading: one thread; one session per instance per process (the
 * lock refuses a second, LOCKED).
 */
public final class InstanceSession implements AutoCloseable {
    private final Toolstack ts;
    private final String name;
    private final InstanceLock lock;
    private InstanceRecord record;
    private byte[] stored;

    private InstanceSession(Toolstack ts, String name, InstanceLock lock) {
        this.ts = ts;
        this.name = name;
        this.lock = lock;
    }

    /**
     * Takes instance {@code nameOrNull} (null: the current one) for {@code activity} ("commit",
     * "run", ...; shown by status while held): LOCKED when another holder has it, FAILED when there
     * is no such instance. Then reads its record and recovers an interrupted command.
     */
    static InstanceSession open(Toolstack ts, String nameOrNull, String activity) {
        return open(ts, nameOrNull, activity, false);
    }

    /**
     * As {@link #open(Toolstack, String, String)}; an instance that {@code vmtree migrate} retired is
     * refused (FAILED, saying where it went) unless {@code retiredToo}: its machine lives elsewhere
     * now, so only what finishes a migration, recovers, or brings it back with {@code run --force}
     * takes it.
     */
    static InstanceSession open(Toolstack ts, String nameOrNull, String activity, boolean retiredToo) {
        String name = ts.instances().resolve(nameOrNull).name();
        InstanceLock lock = InstanceLock.acquire(ts.instances().lockFile(name), name, activity);
        InstanceSession s = new InstanceSession(ts, name, lock);
        try {
            s.load();
            if (s.record.retired() && !retiredToo) {
                throw retired(s.record);
            }
            new InstanceRecovery(ts, s).run();
            return s;
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** The record as this session last read or wrote it. */
    public InstanceRecord record() {
        return record;
    }

    private void load() {
        stored = ts.instances().bytes(name);
        if (stored == null) {
            throw ToolstackException.failed("no instance '" + name + "' (see `vmtree instance list`)");
        }
        record = ts.instances().get(name);
    }

    /**
     * Reads the record again inside {@code tx} (the repository's writer lock, so nothing changes it
     * until {@code tx} ends) and returns it. Only a branch rename may change a held instance's record
     * (it renames the branch of every instance on it, running ones too); anything else changed means
     * someone wrote it without the lock, and nothing is saved (FAILED).
     */
    public InstanceRecord reread(WriteTransaction tx) {
        byte[] now = ts.instances().bytes(name);
        if (!Arrays.equals(now, stored)) {
            InstanceRecord was = record;
            load();
            if (!record.withBranch(was.branch()).equals(was)) {
                throw conflict();
            }
        }
        return record;
    }

    /**
     * Writes {@code next} as the instance's record, only if the stored record is still the one this
     * session read (compare-and-swap); FAILED, nothing written, otherwise.
     */
    public InstanceRecord save(WriteTransaction tx, InstanceRecord next) {
        if (!next.name().equals(name)) {
            throw new IllegalArgumentException("record of " + next.name() + " saved in the session of " + name);
        }
        if (!Arrays.equals(ts.instances().bytes(name), stored)) {
            throw conflict();
        }
        ts.instances().save(tx, next);
        record = next;
        stored = ts.instances().bytes(name);
        return next;
    }

    /**
     * Moves the instance's reflog ref ({@code refs/instances/NAME}, git's HEAD reflog) to
     * {@code to} with {@code message}, after the record names {@code to}. Gc keeps every snapshot an
     * unexpired entry names, so a detached state the instance leaves stays recoverable. An instance
     * whose name is not a valid ref name has no reflog; nothing happens then.
     */
    public void moveHead(WriteTransaction tx, SnapshotId to, String message) {
        Instances.moveHead(ts.repository(), tx, name, to, message);
    }

    /** The refusal of a retired instance: where it went, and the way to run it here anyway. */
    static ToolstackException retired(InstanceRecord r) {
        return ToolstackException.failed("instance " + r.name() + " was migrated to " + r.migratedTo().describe()
                + " and runs there now; `vmtree run --force -i " + r.name() + "` brings it back here as a copy"
                + " (with a new VM generation ID)");
    }

    private ToolstackException conflict() {
        return ToolstackException.failed("instance " + name + " was changed by another process while this command"
                + " held it; nothing was saved (run the command again)");
    }

    /** Releases the instance. */
    @Override
    public void close() {
        lock.close();
    }
}
