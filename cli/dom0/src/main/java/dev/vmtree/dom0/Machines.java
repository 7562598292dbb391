package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.MachineSpec;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.RefResult;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.WriteTransaction;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine half of the toolstack: create, open (restore) and suspend instances, commit their
 * working states, and read stored states, all through the {@link MachineDriver} (the mechanism) while
 * naming, refs and instance records stay here (the policy). docs/cli.md describes each flow.
 *
 * <p>Threading: as {@link Toolstack}, one thread at a time.
 */
public final class Machines {
    /**
     * The ReplayLog of a stored state (docs/format.md "ReplayLog"): the file {@value #LOG_FILE} and,
     * from format version 3, the images {@value #LOG_EVENTS} (the event list) and {@value #LOG_DATA}
     * (the payloads), each present when not empty. None of them is part of the StateId; they start
     * afresh at each snapshot. Being images, the log's pages are chunks that gc, fsck and du follow
     * like RAM and disk pages, from snapshots, reflogs and working states alike.
     */
    public static final String LOG_FILE = MachineDriver.LOG_FILE, LOG_EVENTS = MachineDriver.LOG_EVENTS,
            LOG_DATA = MachineDriver.LOG_DATA;

    /** Whether image {@code name} holds part of a ReplayLog rather than machine state. */
    public static boolean isLogImage(String name) {
        return MachineDriver.isLogImage(name);
    }

    /** {@code s} without its ReplayLog (the file and its images). */
    public static StoredState withoutLog(StoredState s) {
        return MachineDriver.withoutLog(s);
    }

    private final Toolstack ts;
    private final MachineDriver driver;

    Machines(Toolstack ts, MachineDriver driver) {
        this.ts = ts;
        this.driver = driver;
    }

    public MachineDriver driver() {
        return driver;
    }

    /**
     * The driver for {@code s}: that of the backend its definition file names (found by name, as
     * {@link Backend#named}; it runs under its own default engine), or {@link #driver} when that is
     * the one or it names none. CANNOT_RUN when the backend it names is not on the class path.
     */
    public MachineDriver driverFor(StoredState s) {
        String name = MachineDriver.recordedBackend(s);
        if (name == null || name.equals(driver.name())) {
            return driver;
        }
        Backend b = Backend.named(name);
        return b.driver(b.defaultEngine());
    }

    // ---- stored states --------------------------------------------------------------------------

    /** A snapshot's stored state (its files and images); fails clearly for a snapshot that holds no machine. */
    public StoredState snapshotState(SnapshotId id) {
        Snapshot s = read(id);
        return new StoredState(s.content().files(), s.content().images());
    }

    /** A saved working state, its files read back from their chunks. */
    public StoredState workingState(WorkingState w) {
        Map<String, byte[]> files = new HashMap<>();
        try {
            for (var e : w.files().entrySet()) {
                files.put(e.getKey(), ts.repository().chunks().read(e.getValue()));
            }
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
        }
        return new StoredState(files, w.images());
    }

    /** Where the instance stands now: its working state, else its base snapshot (FAILED if that holds no machine). */
    public StoredState currentState(InstanceRecord r) {
        return r.working() != null ? workingState(r.working()) : machineState(r.base(), "instance " + r.name() + "'s base");
    }

    /** A state found by a command's {@code [REF]} / {@code -i INSTANCE} arguments, and what to call it in messages. */
    public record Located(String label, StoredState state) {}

    /**
     * Snapshot {@code rev}'s state when given, else where instance {@code instance} (null: the
     * current one) stands now: its working state, else its base snapshot.
     */
    public Located locate(String rev, String instance) {
        if (rev != null) {
            return new Located(rev, machineState(ts.resolve(rev), rev));
        }
        InstanceRecord r = ts.instances().resolve(instance);
        return new Located("instance " + r.name(), currentState(r));
    }

    /** The StateId of a snapshot, or null when it holds no machine (a plain `store put` snapshot). */
    public StateId stateIdOrNull(SnapshotId id) {
        StoredState s = snapshotState(id);
        return holdsMachine(s) ? driver.stateId(s) : null;
    }

    /** A snapshot's stored state, or FAILED naming {@code rev} when it holds no machine (a `store put` snapshot). */
    public StoredState machineState(SnapshotId id, String rev) {
        StoredState s = snapshotState(id);
        if (!holdsMachine(s)) {
            throw noMachine(id, rev);
        }
        return s;
    }

    /**
     * The StateId of snapshot {@code id} (found as {@code rev}), or FAILED when it holds no machine:
     * an instance can only stand on a machine, so instance add, checkout and rollback ask this first.
     */
    public StateId machineStateId(SnapshotId id, String rev) {
        return driver.stateId(machineState(id, rev));
    }

    private static ToolstackException noMachine(SnapshotId id, String rev) {
        return ToolstackException.failed(rev + " (" + id.shortHex() + ") holds no machine (it was made by"
                + " `vmtree store put`); give a snapshot made by `vmtree create` or `vmtree commit`");
    }

    public static boolean holdsMachine(StoredState s) {
        return s.files().containsKey("machine.state");
    }

    private Snapshot read(SnapshotId id) {
        try {
            return ts.repository().readSnapshot(id);
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
        }
    }

    // ---- create ---------------------------------------------------------------------------------

    /** What {@link #create} made. */
    public record Created(InstanceRecord instance, SnapshotId snapshot, StateId state) {}

    /**
     * Defines a machine: boots {@code spec} into a fresh machine, stores it as a root snapshot,
     * creates branch {@code name} there with an instance {@code name} on it, and makes that current.
     */
    public Created create(String name, MachineSpec spec) {
        return ts.policy().audited(AuditLog.CREATE, name, () -> createNow(name, spec),
                c -> Sizes.format(spec.memoryBytes()) + " RAM, " + spec.harts() + (spec.harts() == 1 ? " hart: " : " harts: ")
                        + Toolstack.position(c.instance()));
    }

    private Created createNow(String name, MachineSpec spec) {
        checkNewName(name);
        HostMemory.checkGuestRam(spec.memoryBytes());
        LiveMachine booted;
        try (Progress.Task p = ts.progress().begin(spec.diskImage() != null ? "importing " + spec.diskImage().getFileName()
                : "booting", null, null)) {
            booted = driver.create(spec);
        }
        try (LiveMachine m = booted; WriteTransaction tx = ts.beginWrite();
             Progress.Task p = ts.progress().begin("storing the new machine", "chunks", tx.chunks()::newChunks)) {
            WorkingState w = m.persist(tx, 0);
            SnapshotContent content = content(w, false);
            Settings.Author a = ts.settings().author();
            SnapshotId id = tx.writeSnapshot(List.of(), content, "create " + name, a.name(), a.email());
            return place(tx, name, id, w.stateId(), "create: " + name, null);
        }
    }

    /** {@code create NAME --from REF}: a new branch and instance at an existing snapshot. */
    public Created createFrom(String name, String rev) {
        return ts.policy().audited(AuditLog.CREATE, name, () -> createFromNow(name, rev),
                c -> "--from " + rev + ": " + Toolstack.position(c.instance()));
    }

    private Created createFromNow(String name, String rev) {
        checkNewName(name);
        SnapshotId id = ts.resolve(rev);
        StateId state = machineStateId(id, rev);
        try (WriteTransaction tx = ts.beginWrite()) {
            // a second machine from one snapshot: it gets its own generation ID when it first runs
            return place(tx, name, id, state, "branch: created from " + rev, GenerationId.random());
        }
    }

    private void checkNewName(String name) {
        InstanceRecord.checkName(name);
        Refs.checkName("branch", name);
        if (ts.refs().branchHead(name).isPresent()) {
            throw ToolstackException.failed("branch '" + name + "' already exists (pick another name, or"
                    + " `vmtree instance add NAME REF` for another instance on it)");
        }
        if (ts.instances().find(name).isPresent()) {
            throw ToolstackException.failed("instance '" + name + "' already exists");
        }
    }

    private Created place(WriteTransaction tx, String name, SnapshotId id, StateId state, String reflog,
                          GenerationId pending) {
        RefResult ref = tx.updateRef(Refs.HEADS + name, null, id, reflog);
        if (!ref.ok()) {
            throw ToolstackException.failed("branch '" + name + "' already exists");
        }
        InstanceRecord r = new InstanceRecord(name, id, name, state, null, Instant.now(), pending);
        ts.instances().add(tx, r);
        ts.instances().setCurrent(name);
        return new Created(r, id, state);
    }

    // ---- open and suspend -----------------------------------------------------------------------

    /**
     * The instance's machine in this process, restored lazily from its working state or, when it has
     * none, from its base snapshot with a fresh ReplayLog. The caller holds the instance (its lock)
     * when it will run or change it.
     */
    public LiveMachine open(InstanceRecord r) {
        try {
            // What runs is saved through the instance's gc root: refuse now, not after the run, if it cannot be.
            ts.repository().extraRoots();
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage(), e);
        }
        LiveMachine m;
        if (r.working() != null) {
            StoredState w = workingState(r.working());
            m = driverFor(w).restore(ts.repository(), w);
        } else {
            StoredState s = machineState(r.base(), "instance " + r.name() + "'s base");
            m = driverFor(s).restore(ts.repository(), withoutLog(s));
        }
        if (r.pendingGeneration() != null) {
            // the instance's first life as a copy: its own generation ID, logged at this instruction count
            m.changeGeneration(r.pendingGeneration().bytes());
        }
        return m;
    }

    /**
     * After a run of {@code lost} (instance {@code r}'s machine) stopped
     * {@link MachineDriver.StopCause#UNAVAILABLE}: the machine as it was last whole, re-run from
     * where {@code r} stands (the state {@code lost} was opened from or last saved as) by the driver
     * ({@link MachineDriver#recover}), ready to be saved. CANNOT_RUN when that cannot be done.
     */
    public LiveMachine recover(InstanceRecord r, LiveMachine lost) {
        StoredState from = r.working() != null ? workingState(r.working())
                : withoutLog(machineState(r.base(), "instance " + r.name() + "'s base"));
        return driverFor(from).recover(ts.repository(), from, lost);
    }

    /**
     * Gives an instance a fresh generation ID at its next run ({@code --new-generation}): the record
     * only, in the instance's session; the machine gets it, as a ReplayLog event, when it next opens.
     */
    public InstanceRecord renewGeneration(String instance) {
        try (InstanceSession s = ts.session(instance, "new generation"); WriteTransaction tx = ts.beginWrite()) {
            return s.save(tx, s.reread(tx).withPendingGeneration(GenerationId.random()));
        }
    }

    /**
     * The guest RAM in bytes instance {@code r}'s machine is defined with, from the state files of
     * its working state, else of its base snapshot: nothing runs and no page is read.
     */
    public long memoryBytes(InstanceRecord r) {
        StoredState s = currentState(r);
        return driverFor(s).summarize(s).memoryBytes();
    }

    /** A stored state (snapshot or working) as a machine, for reading (show, diff, mem read). */
    public LiveMachine open(StoredState s) {
        return driverFor(s).restore(ts.repository(), s);
    }

    /**
     * Saves a machine as the instance's working state: dirty pages and state files go to the store,
     * then the record (gc root first) names them, by compare-and-swap in the instance's session (which
     * the caller holds for the whole run). Returns the saved record.
     */
    public InstanceRecord suspend(InstanceSession session, LiveMachine m, long instructionsSinceBase) {
        InstanceRecord saved = save(session, m.capture(instructionsSinceBase), m.dirtyPages());
        m.persisted(saved.working());
        return saved;
    }

    /**
     * Stores a machine's {@link MachineDriver.Capture} as the instance's working state, on any
     * thread (the machine may run on meanwhile): its pages and state files go to the store, then the
     * record names them by compare-and-swap in the instance's session. The caller then tells the
     * machine, on its own thread, that the returned record's working state is
     * {@link LiveMachine#persisted}. {@code dirtyPages}: how many pages the capture holds, for progress.
     */
    public InstanceRecord save(InstanceSession session, MachineDriver.Capture capture, long dirtyPages) {
        try (WriteTransaction tx = ts.beginWrite();
             Progress.Task p = ts.progress().begin("storing " + dirtyPages + " changed pages", "chunks",
                     tx.chunks()::newChunks)) {
            WorkingState w = capture.write(tx);
            GenerationId opened = session.record().pendingGeneration();   // what open() gave the machine
            InstanceRecord saved = session.reread(tx).withWorking(w);
            // open(r) gave the machine r's pending ID (or found it could not take one: no device, or
            // powered off), so a save of that machine settles it; one asked for since stays pending
            GenerationId pending = saved.pendingGeneration();
            if (pending != null && pending.equals(opened)) {
                saved = saved.withPendingGeneration(null);
            }
            return session.save(tx, saved);
        }
    }

    /**
     * Changes a stopped instance from outside (`mem write`, `reg NAME=VALUE`): opens its session
     * (LOCKED when a `run` or another command holds it), restores it, applies {@code change} through
     * the {@link LiveMachine} (which logs it as a ReplayLog event) and suspends it with the same
     * instruction count, a new working state. When {@code change} throws, nothing is stored.
     */
    public InstanceRecord edit(String instance, java.util.function.Consumer<LiveMachine> change) {
        try (InstanceSession s = ts.session(instance, "edit")) {
            InstanceRecord r = s.record();
            try (LiveMachine m = open(r)) {
                change.accept(m);
                return suspend(s, m, sinceBase(r));
            }
        }
    }

    /** Instructions the instance has run since its base snapshot. */
    public static long sinceBase(InstanceRecord r) {
        return r.working() == null ? 0 : r.working().instructionsSinceBase();
    }

    // ---- commit ---------------------------------------------------------------------------------

    /** What {@link #commit} did: the snapshot (null when nothing changed), the record, a notice or null. */
    public record Committed(SnapshotId snapshot, InstanceRecord instance, String notice) {}

    /**
     * Promotes the working state to a snapshot whose parent is the instance's base (ARCHITECTURE.md
     * Contracts) and moves the instance's branch to it. An unchanged state commits nothing. If the
     * branch has moved away from the base meanwhile (another instance committed on it), the snapshot
     * is still written and the instance left detached on it, so nothing is lost.
     */
    public Committed commit(String instance, String message) {
        if (message == null || message.isBlank()) {
            throw ToolstackException.badInput("empty commit message (give -m MSG)");
        }
        return ts.policy().audited(AuditLog.COMMIT, instance, () -> commitNow(instance, message),
                c -> c.snapshot() == null ? "nothing to commit"
                        : Toolstack.position(c.instance()) + ": " + firstLine(message));
    }

    private Committed commitNow(String instance, String message) {
        try (InstanceSession s = ts.session(instance, "commit")) {
            return commit(s, message);
        }
    }

    /**
     * {@link #commit(String, String)} in a session the caller holds: the Dom0 daemon commits a
     * running instance this way, in the session its run holds, after saving the running machine.
     */
    public Committed commit(InstanceSession s, String message) {
        if (message == null || message.isBlank()) {
            throw ToolstackException.badInput("empty commit message (give -m MSG)");
        }
        InstanceRecord r = s.record();
        if (r.working() == null || !r.dirty()) {
            return new Committed(null, r, "nothing to commit: instance " + r.name() + " is at "
                    + r.base().shortHex() + (r.branch() == null ? "" : " (" + r.branch() + ")"));
        }
        SnapshotContent content = content(r.working(), true);
        Settings.Author a = ts.settings().author();
        try (WriteTransaction tx = ts.beginWrite()) {
            r = s.reread(tx);
            SnapshotId id = tx.writeSnapshot(List.of(r.base()), content, message, a.name(), a.email());
            String branch = r.branch();
            String notice = null;
            if (branch != null) {
                SnapshotId head = ts.refs().branchHead(branch).orElse(null);
                RefResult ref = head != null && head.equals(r.base())
                        ? tx.updateRef(Refs.HEADS + branch, head, id, "commit: " + firstLine(message))
                        : null;
                if (ref == null || !ref.ok()) {
                    notice = "branch " + branch + " has moved on since this instance's base; the instance is now"
                            + " detached at " + id.shortHex() + " (keep it on a branch with `vmtree checkout"
                            + (ts.instances().currentName().map(r.name()::equals).orElse(false) ? "" : " -i " + r.name())
                            + " -b NAME`, or `vmtree branch NAME " + id.shortHex() + "`)";
                    branch = null;
                }
            }
            InstanceRecord saved = s.save(tx, new InstanceRecord(r.name(), id, branch, r.working().stateId(), null,
                    r.created(), r.pendingGeneration()));
            s.moveHead(tx, id, "commit" + (branch == null ? " (detached)" : "") + ": " + firstLine(message));
            return new Committed(id, saved, notice);
        }
    }

    /**
     * Where instance {@code r} stands, as snapshot content: its working state with its ReplayLog (what
     * a commit would hold), else its base's machine without a log. What a migration snapshot holds.
     */
    SnapshotContent standingContent(InstanceRecord r) {
        if (r.working() != null) {
            return content(r.working(), true);
        }
        StoredState s = withoutLog(machineState(r.base(), "instance " + r.name() + "'s base"));
        return new SnapshotContent(s.files(), s.images());
    }

    /** A working state as snapshot content: its files (read back) and images. */
    private SnapshotContent content(WorkingState w, boolean withLog) {
        StoredState s = workingState(w);
        if (!withLog) {
            s = withoutLog(s);
        }
        return new SnapshotContent(s.files(), s.images());
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    // ---- comparing states -----------------------------------------------------------------------

    /** Pages (or blocks) that differ between two images of one name; {@code ranges} gets [first, last] page pairs. */
    public long differingPages(PageTreeRoot a, PageTreeRoot b, java.util.function.LongConsumer each) {
        if (a.size() != b.size() || a.pageSize() != b.pageSize()) {
            long n = Math.max(a.pageCount(), b.pageCount());
            for (long i = 0; i < n; i++) {
                each.accept(i);
            }
            return n;
        }
        long[] n = {0};
        PageTree.diff(ts.repository().chunks(), a, b, i -> {
            n[0]++;
            each.accept(i);
        });
        return n[0];
    }

    /** Pages of an image that are not all zero (allocated disk blocks); cost grows with them, not the image size. */
    public long allocatedPages(PageTreeRoot r) {
        return differingPages(PageTreeRoot.empty(r.size(), r.pageSize()), r, i -> {});
    }

    /**
     * How one image differs between two states: the differing pages as runs of consecutive page
     * indexes ({@code first}, {@code last}, both included); {@code ranges} is empty when not asked for.
     */
    public record ImageDifference(String image, int pageSize, long pages, List<long[]> ranges) {}

    /**
     * Every machine image of either state (not the ReplayLog's), in name order, with its differing
     * pages (an image on one side only differs in all its pages). Cost grows with the differences,
     * not the image sizes.
     */
    public List<ImageDifference> differingImages(StoredState a, StoredState b, boolean withRanges) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>(a.images().keySet());
        names.addAll(b.images().keySet());
        names.removeIf(Machines::isLogImage);
        List<ImageDifference> out = new java.util.ArrayList<>();
        for (String name : names) {
            PageTreeRoot x = a.images().get(name), y = b.images().get(name);
            PageTreeRoot some = x != null ? x : y;
            PageTreeRoot empty = PageTreeRoot.empty(some.size(), some.pageSize());
            List<long[]> ranges = new java.util.ArrayList<>();
            long n = differingPages(x != null ? x : empty, y != null ? y : empty, i -> {
                if (!withRanges) {
                    return;
                }
                long[] last = ranges.isEmpty() ? null : ranges.getLast();
                if (last != null && last[1] + 1 == i) {
                    last[1] = i;
                } else {
                    ranges.add(new long[] {i, i});
                }
            });
            out.add(new ImageDifference(name, some.pageSize(), n, ranges));
        }
        return out;
    }

    /** Pages of all machine images (not the ReplayLog's) that differ between two stored states (for status). */
    public long differingPages(StoredState a, StoredState b) {
        long n = 0;
        for (var e : a.images().entrySet()) {
            if (isLogImage(e.getKey())) {
                continue;
            }
            PageTreeRoot other = b.images().get(e.getKey());
            n += other == null ? e.getValue().pageCount() : differingPages(e.getValue(), other, i -> {});
        }
        return n;
    }
}
