package dev.vmtree.dom0;

import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.store.Promisor;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.DamagedObjectException;
import dev.vmtree.store.GcReport;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dom0's toolstack: the policy layer over one repository (naming, instances, refs, history,
 * space accounting), free of any command-line concerns so that the CLI today and a daemon later
 * share it. Machine-level operations plug in through {@link MachineDriver}.
 *
 * <p>Threading: a toolstack is used by one thread at a time; several toolstacks (threads or
 * processes) may share a repository, serialised by the store's writer lock for every write.
 */
public final class Toolstack implements AutoCloseable {
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(60);
    public static final String CONFIG_FILE = "config";

    private final Repository repo;
    private final Settings settings;
    private final Instances instances;
    private final Refs refs;
    private Consumer<String> notices = m -> {};
    private History history;
    private Machines machines;
    private EngineChoice engine;
    private Progress progress = Progress.NONE;
    private Policy policy;

    private Toolstack(Repository repo) {
        this.repo = repo;
        this.settings = new Settings(repo.storeDirectory().resolve(CONFIG_FILE), Settings.globalFile());
        this.instances = new Instances(repo);
        this.refs = new Refs(this);
        usePromisor();
    }

    /**
     * Makes the promisor remote of {@code .vmtree/config} (a lazy clone's, docs/remotes.md "Lazy
     * clones") the store's {@link Promisor}, or none when there is none: chunks absent here are then
     * fetched from it on first read, through the connection a fetch uses ({@link Sync}, over
     * {@link dev.vmtree.dom0.remote.Connector}), made on the first such read. A configuration that cannot be read leaves none (fsck reports the file).
     */
    void usePromisor() {
        Remotes remotes = new Remotes(this);
        java.util.Optional<String> name;
        String url;
        try {
            name = remotes.promisor();
            url = name.isEmpty() ? null : remotes.url(name.get());
        } catch (ToolstackException e) {
            name = java.util.Optional.empty();
            url = null;
        }
        if (name.isEmpty()) {
            repo.setPromisor(null);
            return;
        }
        String remote = name.get();
        // connected as a fetch connects it (its URL, an S3 endpoint, the remote's index cache)
        repo.setPromisor(new Promisor(remote, url, () -> new Sync(this).connect(remote, false).chunks()));
    }

    /** Opens the repository in {@code start} or its nearest parent. */
    public static Toolstack open(Path start) {
        Path dir = start.toAbsolutePath().normalize();
        if (Repository.find(dir).isEmpty()) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN,
                    "not a vmtree repository (or any parent): " + dir + "; run `vmtree init`");
        }
        try {
            return new Toolstack(Repository.open(dir));
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage(), e);
        }
    }

    /** Creates a repository in {@code dir} (its {@code .vmtree/}). */
    public static Toolstack init(Path dir) {
        try {
            return new Toolstack(Repository.init(dir));
        } catch (StoreException e) {
            throw ToolstackException.failed(e.getMessage());
        }
    }

    /** Settings when there may be no repository (for {@code config --global}); repository scope only inside one. */
    public static Settings settingsAt(Path start) {
        return Repository.find(start)
                .map(top -> new Settings(top.resolve(Repository.DIR).resolve(CONFIG_FILE), Settings.globalFile()))
                .orElseGet(() -> new Settings(null, Settings.globalFile()));
    }

    /** Where waits and other notices go (stderr for the CLI). */
    public Consumer<String> notices() {
        return notices;
    }

    /** Where progress and waiting messages go ("waiting for lock held by pid N"). */
    public void setNotices(Consumer<String> notices) {
        this.notices = notices;
    }

    /** Tells the user something through {@link #setNotices} (a warning, a recovery made). */
    void notice(String message) {
        notices.accept(message);
    }

    /**
     * Takes instance {@code instance} (null: the current one) for one read-modify-write: its lock, its
     * record, compare-and-swap saves ({@link InstanceSession}); LOCKED while another holder has it.
     * {@code activity} says what for ("run", "commit"), shown by status meanwhile.
     */
    public InstanceSession session(String instance, String activity) {
        return InstanceSession.open(this, instance, activity);
    }

    /**
     * Starts a life of instance {@code instance} (null: the current one) in this process: takes it
     * for {@code activity} (LOCKED while another holder has it) and restores its machine lazily from
     * where it stands ({@link InstanceRun}). Front ends drive the machine, then save and close.
     */
    public InstanceRun startRun(String instance, String activity) {
        return startRun(instance, activity, false);
    }

    /**
     * As {@link #startRun(String, String)}; with {@code force} an instance that {@code vmtree migrate}
     * retired runs too: it is no longer retired, and gets a fresh VM generation ID, since the machine it
     * was lives on where it went (docs/migration.md). Without {@code force} a retired instance is refused.
     */
    public InstanceRun startRun(String instance, String activity, boolean force) {
        return InstanceRun.start(this, instance, activity, force);
    }

    /**
     * Finishes what a killed command left half done on instance {@code instance} (null: the current
     * one) when no process holds it, as opening a session does; read-only commands (status, reflog)
     * call it so that they show the truth. Takes the instance's lock only when there is something to
     * recover (so a status polled while a run starts does not get in its way); does nothing while the
     * instance is held.
     */
    public void recover(String instance) {
        InstanceRecord r = instances.resolve(instance);
        String name = r.name();
        if (!InstanceRecovery.needed(this, r) || instances.holder(name) instanceof InstanceLock.Holder.Running) {
            return;
        }
        try (InstanceSession s = InstanceSession.open(this, name, "recover", true)) {
            // opening the session did the work
        } catch (ToolstackException e) {
            if (e.kind() != ToolstackException.Kind.LOCKED) {
                throw e;
            }
        }
    }

    /**
     * How far instance {@code r} is behind its branch: the number of snapshots from its base to the
     * branch's head when the base is an ancestor of it (0: at the head), -1 when the branch went
     * elsewhere (rolled back or rewritten), or when the instance is detached or its branch is gone.
     */
    public int behind(InstanceRecord r) {
        if (r.branch() == null) {
            return -1;
        }
        SnapshotId head = refs.branchHead(r.branch()).orElse(null);
        if (head == null) {
            return -1;
        }
        if (head.equals(r.base())) {
            return 0;
        }
        if (!history().isAncestorOfAny(r.base(), java.util.List.of(head))) {
            return -1;
        }
        int n = 0;
        for (History.Entry e : history().log(java.util.List.of(head), 0)) {
            if (e.id().equals(r.base())) {
                return n;
            }
            n++;
        }
        return n;
    }

    /**
     * The warning to give when instance {@code r} leaves its detached base for {@code next} (null: it
     * is removed) and nothing else reaches that base: no branch, tag or other instance, and not
     * {@code next}. Empty when it is on a branch, stays, or something else keeps the base.
     */
    public java.util.Optional<String> leavingBehind(InstanceRecord r, SnapshotId next) {
        if (!r.detached() || r.base().equals(next)) {
            return java.util.Optional.empty();
        }
        java.util.List<SnapshotId> tips = new java.util.ArrayList<>();
        repo.refs().forEach((name, id) -> {
            if (name.startsWith(Refs.HEADS) || name.startsWith(Refs.TAGS)) {
                tips.add(id);
            }
        });
        instances.scan().sound().stream().filter(o -> !o.name().equals(r.name())).forEach(o -> tips.add(o.base()));
        if (next != null) {
            tips.add(next);
        }
        if (history().isAncestorOfAny(r.base(), tips)) {
            return java.util.Optional.empty();
        }
        String subject = history().log(java.util.List.of(r.base()), 1).getFirst().subject();
        String where = next == null ? "" : " It stays in the instance's reflog (`vmtree reflog -i " + r.name()
                + "`) until gc.reflogExpire.";
        return java.util.Optional.of("warning: leaving snapshot " + r.base().shortHex() + " (" + subject + ") behind:"
                + " no branch, tag or other instance reaches it." + where + " To keep it: `vmtree branch NAME "
                + r.base().shortHex() + "`");
    }

    /** Where long work is reported (default: nowhere). */
    public void setProgress(Progress progress) {
        this.progress = progress;
    }

    public Progress progress() {
        return progress;
    }

    public Repository repository() {
        return repo;
    }

    public Settings settings() {
        return settings;
    }

    public Instances instances() {
        return instances;
    }

    public Refs refs() {
        return refs;
    }

    /** Image operations: the catalog `create --image` uses, and `image import-deb`. */
    public Images images() {
        return new Images(this);
    }

    /**
     * Chooses the engine every machine of this toolstack runs under (a command's {@code --engine} or
     * {@code core.engine}, see {@link EngineChoice}); before the first {@link #machines()} only.
     * Without it, machines run under the environment's engine ({@link EngineChoice#environment}).
     */
    public void useEngine(EngineChoice choice) {
        if (machines != null) {
            throw new IllegalStateException("the engine is chosen before the first machine");
        }
        this.engine = java.util.Objects.requireNonNull(choice, "choice");
    }

    /** The engine this toolstack's machines run under, and what chose it. */
    public EngineChoice engine() {
        if (engine == null) {
            engine = EngineChoice.environment();
        }
        return engine;
    }

    /**
     * The machine operations, over the backend new machines are made with ({@link Backend#DEFAULT},
     * found on the class path by its name): Dom0 never names a backend's classes.
     */
    public Machines machines() {
        if (machines == null) {
            machines = new Machines(this, Backend.named(Backend.DEFAULT).driver(engine().engine()));
        }
        return machines;
    }

    /** Deterministic replay of snapshots from their parents. */
    public Replays replays() {
        return new Replays(this);
    }

    /** The search for the first moment a condition holds (`vmtree bisect`). */
    public Bisect bisect() {
        return new Bisect(this);
    }

    public History history() {
        if (history == null) {
            history = new History(repo);
        }
        return history;
    }

    /**
     * Points an instance (null: the current one) at {@code rev}: on a branch name it follows that
     * branch, otherwise it is detached. Refuses a running instance, and uncommitted state unless
     * {@code discard}. O(1): nothing of the machine is read.
     */
    public InstanceRecord checkout(String instance, String rev, boolean discard) {
        return audited(AuditLog.CHECKOUT, instance, () -> new Moves(this).checkout(instance, rev, discard).instance(),
                r -> rev + ": " + position(r));
    }

    /** Creates branch {@code branch} at {@code start} (null: the instance's base) and checks it out. */
    public InstanceRecord checkoutNewBranch(String instance, String branch, String start, boolean discard) {
        return audited(AuditLog.CHECKOUT, instance,
                () -> new Moves(this).checkoutNewBranch(instance, branch, start, discard).instance(),
                r -> "-b " + branch + (start == null ? "" : " " + start) + ": " + position(r));
    }

    /**
     * Moves an instance and its branch back to {@code rev} (null: "~1"; "~N" and "^" count from the
     * instance's base); what was dropped stays in the branch's reflog until gc.
     */
    public InstanceRecord rollback(String instance, String rev, boolean discard) {
        return rollback(instance, rev, discard, false);
    }

    /** As above; a protected branch ({@code refs.protect}) moved back needs {@code force}, which is audited. */
    public InstanceRecord rollback(String instance, String rev, boolean discard, boolean force) {
        return audited(AuditLog.ROLLBACK, instance, () -> new Moves(this).rollback(instance, rev, discard, force).instance(),
                r -> (rev == null ? "~1" : rev) + ": " + position(r));
    }

    /**
     * The store's gc, which first asks (under the writer lock) what this layer cannot account for:
     * any instance record fsck reports as damaged, or whose gc root is missing or different, stops
     * it before anything is deleted.
     */
    public GcReport gc(Duration expire) {
        return repo.gc(expire, LOCK_TIMEOUT, notices, () -> instances.verify().stream()
                .filter(p -> !p.harmless()).map(Instances.Problem::text).toList());
    }

    /**
     * Rewrites the damaged record of instance {@code name}: at {@code rev} when given, else where
     * its gc root says it stood; an uncommitted state it held is dropped, only with {@code discard}.
     */
    public InstanceRecord repairInstance(String name, String rev, boolean discard) {
        return audited(AuditLog.REPAIR, name, () -> new Moves(this).repair(name, rev, discard).instance(),
                r -> (rev == null ? "" : "--to " + rev + ": ") + position(r));
    }

    /**
     * Adds instance {@code name} at {@code rev}: following the branch when {@code rev} names one and
     * not {@code detach}, else detached; with its own generation ID for its first run (another machine
     * from one snapshot, docs/security.md). The first instance becomes current. A migration snapshot
     * ({@code REMOTE/migrations/INSTANCE}, docs/migration.md) is resumed instead: the instance it moved,
     * at its base with its working state, keeping its generation ID ({@link Migrations#resume}).
     */
    public InstanceRecord addInstance(String name, String rev, boolean detach) {
        InstanceRecord.checkName(name);
        return audited(AuditLog.ADD, name, () -> {
            SnapshotId at = resolve(rev);
            if (instances.find(name).isPresent()) {
                throw ToolstackException.failed("instance '" + name + "' already exists");
            }
            dev.vmtree.store.Snapshot snap;
            java.util.Optional<MigrationCommit> note;
            try {
                snap = repo.readSnapshot(at);
                note = MigrationCommit.parse(snap.message());
            } catch (StoreException e) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
            } catch (ToolstackException e) {
                throw ToolstackException.failed(rev + " (" + at.shortHex() + "): " + e.getMessage());
            }
            InstanceRecord r;
            if (note.isPresent()) {
                try (WriteTransaction tx = beginWrite()) {
                    r = new Migrations(this).resume(tx, name, rev, at, snap, note.get(), detach);
                    instances.add(tx, r);
                }
                return r;
            }
            StateId state = machines().machineStateId(at, rev);
            String branch = !detach && refs.branches().stream().anyMatch(b -> b.name().equals(rev)) ? rev : null;
            r = new InstanceRecord(name, at, branch, state, null, java.time.Instant.now(), GenerationId.random());
            try (WriteTransaction tx = beginWrite()) {
                instances.add(tx, r);
            }
            return r;
        }, r -> rev + ": " + position(r) + (r.working() != null ? ", resumed a migration" : ""));
    }

    /** Cold migration of instances to and from other repositories (docs/migration.md). */
    public Migrations migrations() {
        return new Migrations(this);
    }

    /**
     * Removes instance {@code name} ({@link Instances#remove}: refused while held, and when dirty or
     * damaged unless {@code force}); returns the removed record, empty for a damaged one.
     */
    public java.util.Optional<InstanceRecord> removeInstance(String name, boolean force) {
        return audited(AuditLog.REMOVE, name, () -> {
            try (WriteTransaction tx = beginWrite()) {
                return instances.remove(tx, name, force);
            }
        }, r -> r.map(was -> "was at " + position(was) + (was.dirty() ? ", uncommitted state dropped" : ""))
                .orElse("damaged record dropped"));
    }

    /** Limits and the audit log (docs/cli.md "Limits and the audit log"). */
    public Policy policy() {
        if (policy == null) {
            policy = new Policy(this);
        }
        return policy;
    }

    private <T> T audited(String op, String instance, java.util.function.Supplier<T> action,
                          java.util.function.Function<T, String> detail) {
        return policy().audited(op, instance, action, detail);
    }

    /** Where an instance stands, for the audit log: "3f2a1b0c9d8e (branch main)" or "3f2a1b0c9d8e (detached)". */
    static String position(InstanceRecord r) {
        return r.base().shortHex() + (r.branch() == null ? " (detached)" : " (branch " + r.branch() + ")");
    }

    /** Space used by the repository, per kind of file and per branch, tag and instance. */
    public SpaceUsage spaceUsage() {
        return SpaceUsage.measure(this);
    }

    /** Starts a write under the repository lock, telling {@link #setNotices} once if it has to wait. */
    public WriteTransaction beginWrite() {
        return repo.beginWrite(LOCK_TIMEOUT, notices);
    }

    private static final Pattern HEAD = Pattern.compile("(HEAD|@)((?:[~^][0-9]*)*)");

    /**
     * Resolves a revision to a snapshot: a branch, a tag, a full or abbreviated snapshot id, a full
     * ref name, any of them followed by {@code ~N} or {@code ^} steps, and {@code HEAD} or {@code @}
     * for the current instance's base snapshot.
     */
    public SnapshotId resolve(String rev) {
        if (rev == null || rev.isBlank() || rev.startsWith("-") || rev.contains("..") || rev.contains(":")) {
            throw ToolstackException.badInput("bad revision '" + rev + "'");
        }
        String expr = rev;
        Matcher m = HEAD.matcher(rev);
        if (m.matches()) {
            expr = instances.current().base().hex() + m.group(2);
        }
        try {
            return repo.resolve(expr).orElseThrow(() -> unknown(rev));
        } catch (DamagedObjectException e) {
            throw e; // a damaged commit on the way is not an unknown revision
        } catch (StoreException e) {
            if (e.getMessage() != null && e.getMessage().contains("ambiguous")) {
                throw ToolstackException.failed("ambiguous revision '" + rev + "': give more hex digits");
            }
            throw unknown(rev);
        }
    }

    private static ToolstackException unknown(String rev) {
        return ToolstackException.failed("unknown revision '" + rev + "': not a branch, tag or snapshot id"
                + " (see `vmtree branch`, `vmtree tag`, `vmtree log --all`)");
    }

    @Override
    public void close() {
        if (history != null) {
            history.close();
        }
        repo.close();
    }
}
