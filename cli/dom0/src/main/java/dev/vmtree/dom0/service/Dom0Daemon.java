package dev.vmtree.dom0.service;

import dev.vmtree.dom0.EngineChoice;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.fs.OwnerOnly;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

/**
 * The Dom0 daemon of one repository (docs/dom0-protocol.md): it holds {@code .vmtree/dom0/lock}
 * for as long as it lives, serves the control protocol on the repository's Unix domain socket,
 * and supervises the instances started in the background ({@link Supervisor}, one thread each).
 * Started on demand by the first {@code vmtree start}; it ends when no instance has run and no
 * client has been connected for its linger time (first request: {@link #FIRST_REQUEST}).
 *
 * <p>Trust: the socket's directory is mode 0700 and the socket 0600, so only the repository's
 * owner (and root) can connect; each connection's peer credentials are checked against the
 * daemon's own user as well. Nothing listens on TCP.
 */
public final class Dom0Daemon {
    /** The protocol version (docs/dom0-protocol.md); a request with another {@code "v"} is refused. */
    public static final int PROTOCOL = 1;
    /** How long a fresh daemon waits for its first request before it ends. */
    public static final Duration FIRST_REQUEST = Duration.ofSeconds(30);

    /** An operation a front end adds (the CLI's {@code cli} op): answers {@code request} on {@code wire}. */
    public interface Handler {
        void handle(Map<String, Object> request, Wire wire) throws IOException;
    }

    /** What limits a start: throws (a ToolstackException) to refuse {@code name} with {@code memoryBytes} of RAM. */
    public interface Limits {
        void check(Toolstack ts, List<Map.Entry<String, Long>> running, String name, long memoryBytes);
    }

    /** Where lifecycle operations are reported (the audit log): op, instance, outcome, detail. */
    public interface Audit {
        void record(String op, String instance, String outcome, String detail);

        Audit NONE = (op, instance, outcome, detail) -> {};
    }

    private final Dom0Paths paths;
    private final Map<String, Handler> extensions;
    private final Duration linger;
    private final ToIntFunction<ToolstackException.Kind> status;
    private final Limits limits;
    private final Audit audit;
    private final PrintStream log;
    private final Map<String, Supervisor> running = new LinkedHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean everActive;
    private ServerSocketChannel server;

    public Dom0Daemon(Path top, Map<String, Handler> extensions, Duration linger,
                      ToIntFunction<ToolstackException.Kind> status, Limits limits, Audit audit, PrintStream log) {
        this.paths = Dom0Paths.of(top);
        this.extensions = Map.copyOf(extensions);
        this.linger = linger;
        this.status = status;
        this.limits = limits;
        this.audit = audit;
        this.log = log;
    }

    public Dom0Paths paths() {
        return paths;
    }

    /**
     * Serves until nothing runs and nobody is connected for the linger time. Returns false at once
     * when another live daemon serves the repository. The socket is removed before the lock is let go.
     */
    public boolean serve() throws IOException {
        OwnerOnly.createDirectories(paths.dir());
        OwnerOnly.restrict(paths.dir());
        try (FileChannel lockFile = FileChannel.open(paths.lock(), Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE), OwnerOnly.file())) {
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                return false;
            }
            Path socket = paths.socket();
            Files.createDirectories(socket.getParent());
            OwnerOnly.restrict(socket.getParent());
            Files.deleteIfExists(socket);     // stale: its daemon died (we hold the lock now)
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            Files.writeString(paths.pid(), ProcessHandle.current().pid() + "\n");
            say("serving " + paths.top() + " on " + socket);
            Thread reaper = Thread.ofPlatform().daemon().name("dom0 reaper").start(this::reap);
            // SIGTERM or SIGINT: every instance suspended to its working state, then the socket removed
            Thread onSignal = new Thread(() -> shutDown(socket), "dom0 shutdown");
            Runtime.getRuntime().addShutdownHook(onSignal);
            try {
                acceptLoop();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(onSignal);
                } catch (IllegalStateException e) {
                    // shutting down already: the hook does the rest
                }
                reaper.interrupt();
                Files.deleteIfExists(socket);
                Files.deleteIfExists(paths.pid());
                say("ended");
            }
            return true;
        }
    }

    private void acceptLoop() throws IOException {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            }
            connections.incrementAndGet();
            lastActivity = System.nanoTime();
            everActive = true;
            Thread.ofVirtual().name("dom0 connection").start(() -> {
                try (Wire w = new Wire(c)) {
                    connection(w);
                } finally {
                    lastActivity = System.nanoTime();
                    connections.decrementAndGet();
                }
            });
        }
    }

    /** Ends the daemon once idle: nothing running, nobody connected, for the linger time. */
    private void reap() {
        try {
            while (true) {
                Thread.sleep(100);
                synchronized (this) {
                    long idle = System.nanoTime() - lastActivity;
                    Duration wait = everActive ? linger : FIRST_REQUEST;
                    if (running.isEmpty() && connections.get() == 0 && idle > wait.toNanos()) {
                        server.close();
                        return;
                    }
                }
            }
        } catch (InterruptedException | IOException e) {
            // ending anyway
        }
    }

    /** Stops every instance (each saves its working state), waiting up to a minute in all, and removes the socket. */
    private void shutDown(Path socket) {
        List<Supervisor> all;
        synchronized (this) {
            all = List.copyOf(running.values());
        }
        say("signalled: stopping " + all.size() + " instance(s)");
        for (Supervisor s : all) {
            s.stop();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Supervisor s : all) {
            try {
                Supervisor.End e = s.end().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                audit.record("stop", s.name(), e.saved() != null ? "ok" : "failed", "Dom0 was signalled; " + e.why());
            } catch (TimeoutException | InterruptedException | java.util.concurrent.ExecutionException e) {
                say("instance " + s.name() + " did not finish saving before Dom0 ended: " + e);
            }
        }
        try {
            server.close();
            Files.deleteIfExists(socket);
            Files.deleteIfExists(paths.pid());
        } catch (IOException e) {
            say("cannot remove " + socket + ": " + e.getMessage());
        }
    }

    // ---- one connection -------------------------------------------------------------------------

    private void connection(Wire w) {
        try {
            if (!samePeer(w.channel())) {
                w.send(error(ToolstackException.Kind.CANNOT_RUN, "this Dom0 serves only the user it runs as"));
                return;
            }
            Map<String, Object> request;
            while ((request = w.read()) != null) {
                handle(request, w);
            }
        } catch (IOException e) {
            // the client went away
        } catch (IllegalArgumentException e) {
            try {
                w.send(error(ToolstackException.Kind.BAD_INPUT, "bad request: " + e.getMessage()));
            } catch (IOException ignored) {
                // gone
            }
        }
    }

    private static boolean samePeer(SocketChannel c) throws IOException {
        var peer = c.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
        String me = System.getProperty("user.name");
        return peer == null || peer.user().getName().equals(me) || peer.user().getName().equals("root");
    }

    private void handle(Map<String, Object> req, Wire w) throws IOException {
        long v = Json.number(req, "v", -1);
        String op = Json.string(req, "op");
        if (v != PROTOCOL) {
            w.send(error(ToolstackException.Kind.BAD_INPUT, "this Dom0 speaks protocol version " + PROTOCOL + ", not " + v));
            return;
        }
        if (op == null) {
            w.send(error(ToolstackException.Kind.BAD_INPUT, "a request names its \"op\""));
            return;
        }
        lastActivity = System.nanoTime();
        try {
            switch (op) {
                case "hello" -> w.send(ok("protocol", (long) PROTOCOL, "pid", ProcessHandle.current().pid()));
                case "start" -> start(req, w);
                case "ps" -> w.send(ok("instances", list()));
                case "stop" -> stop(req, w);
                case "pause", "resume" -> pauseOrResume(op, req, w);
                case "commit" -> commit(req, w);
                case "attach" -> attach(req, w);
                case "migrate" -> migrate(req, w);
                case "receive" -> receive(req, w);
                default -> {
                    Handler h = extensions.get(op);
                    if (h == null) {
                        w.send(error(ToolstackException.Kind.BAD_INPUT, "unknown op \"" + op + "\""));
                    } else {
                        h.handle(req, w);
                    }
                }
            }
        } catch (ToolstackException e) {
            w.send(error(e.kind(), e.getMessage()));
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof ToolstackException te)) {
                throw e;
            }
            w.send(error(te.kind(), te.getMessage()));
        } catch (IllegalArgumentException e) {
            w.send(error(ToolstackException.Kind.BAD_INPUT, e.getMessage()));
        } catch (RuntimeException e) {
            say("internal error in " + op + ": " + e);
            e.printStackTrace(log);
            w.send(error(ToolstackException.Kind.CANNOT_RUN, "internal error in Dom0 (" + e
                    + "); see .vmtree/dom0/daemon.log"));
        }
    }

    private Map<String, Object> ok(Object... more) {
        Map<String, Object> m = Json.object(more);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        r.putAll(m);
        return r;
    }

    private Map<String, Object> error(ToolstackException.Kind kind, String message) {
        return Json.object("ok", false, "kind", kind.name(), "status", (long) status.applyAsInt(kind), "error", message);
    }

    private synchronized List<Object> list() {
        List<Object> l = new ArrayList<>();
        for (Supervisor s : running.values()) {
            l.add(s.info());
        }
        return l;
    }

    private synchronized Supervisor get(Map<String, Object> req) {
        String name = Json.string(req, "instance");
        if (name == null) {
            throw ToolstackException.badInput("the request names no instance");
        }
        Supervisor s = running.get(name);
        if (s == null) {
            throw ToolstackException.failed("instance " + name + " is not running in the background (see `vmtree ps -a`)");
        }
        return s;
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    private void start(Map<String, Object> req, Wire w) throws IOException {
        Supervisor s = startInstance(Json.string(req, "instance"), engineOf(req), Json.bool(req, "force", false));
        w.send(ok("instance", s.name(), "state", s.startState(), "pid", ProcessHandle.current().pid()));
    }

    private static EngineChoice engineOf(Map<String, Object> req) {
        String engine = Json.string(req, "engine");
        String source = Json.string(req, "engineSource");
        return engine == null ? EngineChoice.environment()
                : new EngineChoice(EngineChoice.parse("--engine", engine), source == null ? "--engine" : source);
    }

    /** Starts instance {@code name} (null: the current one) in the background, within Dom0's limits. */
    private Supervisor startInstance(String name, EngineChoice choice, boolean force) {
        Supervisor s = launch(name, choice, force);
        announce(s, choice);
        return s;
    }

    /** Records and tells that {@code s} started (an fsynced audit append: after the guest runs, not before). */
    private void announce(Supervisor s, EngineChoice choice) {
        audit.record("start", s.name(), "ok", "state " + s.startState().substring(0, 12) + ", " + choice.describe());
        say("started " + s.name() + " at state " + s.startState());
    }

    /** Opens instance {@code name} under Dom0's limits and sets its guest running; the caller {@link #announce}s it. */
    private Supervisor launch(String name, EngineChoice choice, boolean force) {
        Supervisor s;
        synchronized (this) {      // one start at a time, so two cannot both pass the limits
            try {
                s = Supervisor.open(paths.top(), name, choice, force, paths.consoleDir(),
                        (n, memory) -> checkLimits(n, memory), this::ended);
            } catch (ToolstackException e) {
                audit.record("start", name == null ? "(current)" : name, "refused", e.getMessage());
                throw e;
            }
            running.put(s.name(), s);
            try {
                Files.deleteIfExists(paths.exit(s.name()));
            } catch (IOException ignored) {
                // a stale "crashed" word at worst
            }
            s.go();
        }
        return s;
    }

    /** Throws when Dom0's limits do not admit one more instance {@code name} of {@code memory} bytes of RAM. */
    private synchronized void checkLimits(String name, long memory) {
        List<Map.Entry<String, Long>> now = running.values().stream()
                .map(o -> Map.entry(o.name(), o.memoryBytes())).toList();
        try (Toolstack ts = Toolstack.open(paths.top())) {
            limits.check(ts, now, name, memory);
        }
    }

    // ---- live migration (docs/migration.md) -----------------------------------------------------

    /**
     * The source side of {@code migrate --live}: migrates running instance {@code instance} to the
     * repository {@code dest}, whose Dom0 takes it ({@link #receive}); {@code round} events as it goes.
     */
    private void migrate(Map<String, Object> req, Wire w) throws IOException {
        Supervisor s = get(req);
        String dest = Json.string(req, "dest");
        if (dest == null || !Path.of(dest).isAbsolute()) {
            throw ToolstackException.badInput("a live migration names its destination repository by an absolute path");
        }
        int rounds = (int) Math.max(1, Math.min(1000, Json.number(req, "maxRounds", 30)));
        LiveMigration.Result r;
        try {
            r = new LiveMigration(paths.top(), s, Path.of(dest), rounds, e -> {
                try {
                    w.send(e);
                } catch (IOException gone) {
                    // the client went away; the migration goes on
                }
            }).run();
        } catch (RuntimeException | IOException e) {
            audit.record("migrate", s.name(), "failed", "--live to " + dest + ": " + e.getMessage());
            throw e instanceof IOException io ? ToolstackException.failed("live migration of " + s.name() + " to " + dest
                    + " failed: " + io.getMessage()) : (RuntimeException) e;
        }
        audit.record("migrate", s.name(), "ok", "--live to " + dest + ": " + r.rounds() + " rounds, downtime "
                + r.downtimeMicros() / 1000.0 + " ms, state " + r.state().substring(0, 12));
        say("migrated " + s.name() + " to " + dest + " (downtime " + r.downtimeMicros() + " us)");
        w.send(ok("instance", s.name(), "dest", dest, "rounds", (long) r.rounds(),
                "pagesPerRound", new ArrayList<Object>(r.pagesPerRound()), "chunks", r.chunks(), "bytes", r.bytes(),
                "downtimeMicros", r.downtimeMicros(), "downtime", r.downtime(), "totalMicros", r.totalMicros(),
                "state", r.state(), "destinationPid", r.destinationPid()));
    }

    /**
     * The destination side of a live migration: after round 0 arrived as {@code refs/migrating/NAME}
     * (a push), reads the migration stream that follows a {@code ready} event, applies its chunks
     * round by round, verifies the final state, adds the instance and starts it. Anything wrong drops
     * what it made (the instance, the ref) and refuses: the source runs on.
     */
    private void receive(Map<String, Object> req, Wire w) throws IOException {
        String name = Json.string(req, "instance");
        String snap = Json.string(req, "snapshot");
        if (name == null || snap == null) {
            throw ToolstackException.badInput("a receive request names its instance and snapshot");
        }
        dev.vmtree.store.SnapshotId zero = new dev.vmtree.store.SnapshotId(snap);
        EngineChoice choice = engineOf(req);
        try (Toolstack ts = Toolstack.open(paths.top())) {
            Supervisor s;
            long t0, t1, t2;
            boolean added = false;
            try {
                ts.migrations().checkArrival(name, zero);
                var st = ts.machines().snapshotState(zero);
                checkLimits(name, ts.machines().driverFor(st).summarize(st).memoryBytes());
                // what the guest would otherwise wait for at the end: the backend's classes loaded and run once
                ts.machines().driverFor(st).stateId(st);
                ts.machines().open(st).close();
                w.send(Json.object("event", "ready", "stream", (long) dev.vmtree.dom0.MigrationStream.VERSION));
                dev.vmtree.dom0.MigrationStream.State state = apply(ts, new dev.vmtree.dom0.MigrationStream.Reader(
                        w.streamIn()));
                t0 = System.nanoTime();
                ts.migrations().arrive(name, zero, state);
                added = true;
                t1 = System.nanoTime();
                s = launch(name, choice, false);
                t2 = System.nanoTime();
            } catch (RuntimeException | IOException e) {
                try {
                    if (added) {
                        ts.removeInstance(name, true);
                    }
                    ts.migrations().abandon(name, zero);
                } catch (RuntimeException cleanup) {
                    say("live migration of " + name + " refused, and its remains not removed: " + cleanup.getMessage());
                }
                audit.record("receive", name, "refused", e.getMessage());
                throw e instanceof IOException io ? ToolstackException.failed(io.getMessage()) : (RuntimeException) e;
            }
            // the guest runs here now: the source hears it first (its downtime ends with this answer), the
            // fsynced audit appends follow
            try {
                w.send(ok("instance", name, "state", s.startState(), "pid", ProcessHandle.current().pid(),
                        "arriveMicros", (t1 - t0) / 1000, "startMicros", (t2 - t1) / 1000));
            } finally {
                announce(s, choice);
                audit.record("receive", name, "ok", "live migration: state " + s.startState().substring(0, 12));
            }
            try {
                ts.migrations().abandon(name, zero);    // the transient ref: the instance's root keeps its state now
            } catch (RuntimeException e) {
                say("cannot drop refs/migrating/" + name + ": " + e.getMessage());
            }
        }
    }

    /** Stores the stream's chunks, a round at a time, and returns its final state. */
    private static dev.vmtree.dom0.MigrationStream.State apply(Toolstack ts, dev.vmtree.dom0.MigrationStream.Reader in)
            throws IOException {
        List<byte[]> batch = new ArrayList<>();
        long batched = 0;
        dev.vmtree.dom0.MigrationStream.State state = null;
        while (true) {
            switch (in.next()) {
                case dev.vmtree.dom0.MigrationStream.Chunk c -> {
                    batch.add(c.data());
                    batched += c.data().length;
                    if (batched >= 32 << 20) {
                        store(ts, batch);
                        batched = 0;
                    }
                }
                case dev.vmtree.dom0.MigrationStream.Round r -> {
                    store(ts, batch);
                    batched = 0;
                }
                case dev.vmtree.dom0.MigrationStream.State s -> state = s;
                case dev.vmtree.dom0.MigrationStream.End e -> {
                    return state;
                }
            }
        }
    }

    /** Stores a batch of verified chunks under the writer lock, held only for that. */
    private static void store(Toolstack ts, List<byte[]> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try (dev.vmtree.store.WriteTransaction tx = ts.beginWrite()) {
            for (byte[] b : batch) {
                tx.chunks().put(b);
            }
            tx.flush();
        }
        batch.clear();
    }

    /** Called by a supervisor when its run has ended and its state is saved. */
    private void ended(Supervisor s) {
        Supervisor.End e = s.end().getNow(null);
        synchronized (this) {
            running.remove(s.name());
            lastActivity = System.nanoTime();
        }
        if (e != null) {
            String saved = e.savedState();
            try {
                OwnerOnly.createDirectories(paths.exitDir());
                Files.writeString(paths.exit(s.name()), Json.write(Json.object("v", 1L, "time", Instant.now().toString(),
                        "cause", e.cause(), "why", e.why(), "crashed", e.crashed(), "state", saved)) + "\n");
            } catch (IOException ex) {
                say("cannot write " + paths.exit(s.name()) + ": " + ex.getMessage());
            }
            audit.record(e.crashed() ? "crash" : "end", s.name(), e.crashed() ? "failed" : "ok", e.why());
            say("instance " + s.name() + " ended: " + e.why());
            for (ConsoleHub.Viewer v : s.console().viewers()) {
                try {
                    v.event(Json.object("event", "ended", "cause", e.cause(), "why", e.why(), "state", saved));
                } catch (IOException ignored) {
                    // that viewer went
                }
            }
        }
    }

    private void stop(Map<String, Object> req, Wire w) throws IOException {
        Supervisor s = get(req);
        long timeoutMs = Json.number(req, "timeoutMillis", 60_000);
        s.stop();
        try {
            Supervisor.End e = s.end().get(timeoutMs, TimeUnit.MILLISECONDS);
            String state = e.savedState();
            audit.record("stop", s.name(), e.saved() != null ? "ok" : "failed", e.why());
            w.send(ok("instance", s.name(), "state", state, "why", e.why(), "saved", e.saved() != null));
        } catch (TimeoutException e) {
            audit.record("stop", s.name(), "pending", "still saving after " + timeoutMs + " ms");
            throw ToolstackException.failed("instance " + s.name() + " is still saving its state after "
                    + timeoutMs / 1000 + " s; it stops as soon as the save is done (see `vmtree ps`)");
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw ToolstackException.failed("stop of " + s.name() + " interrupted: " + e);
        }
    }

    private void pauseOrResume(String op, Map<String, Object> req, Wire w) throws IOException {
        Supervisor s = get(req);
        boolean changed = op.equals("pause") ? s.pause() : s.resume();
        if (!changed) {
            throw ToolstackException.failed("instance " + s.name() + " is " + s.state().word()
                    + (op.equals("pause") ? "; only a running instance pauses" : "; only a paused instance resumes"));
        }
        if (op.equals("pause")) {
            // answer once the guest has really stopped between two slices
            s.between(() -> null).join();
        }
        audit.record(op, s.name(), "ok", "");
        w.send(ok("instance", s.name(), "state", s.state().word(), "instructions", s.sinceBase()));
    }

    /**
     * Commits a running instance: between two slices its machine is saved as the working state
     * (the guest waits for that capture only), then the working state becomes a snapshot while the
     * guest runs on.
     */
    private void commit(Map<String, Object> req, Wire w) throws IOException {
        Supervisor s = get(req);
        String message = Json.string(req, "message");
        long t0 = System.nanoTime();
        long[] pause = new long[1];
        // the guest waits only for the capture (copy-on-write freezes its pages); the write runs beside it
        record Captured(dev.vmtree.dom0.MachineDriver.Capture capture, long dirty) {}
        Captured cap = s.between(() -> {
            long p0 = System.nanoTime();
            long dirty = s.life().machine().dirtyPages();
            Captured c = new Captured(s.life().capture(), dirty);
            pause[0] = System.nanoTime() - p0;
            return c;
        }).join();
        Machines.Committed c;
        synchronized (s.sessionLock) {
            dev.vmtree.dom0.InstanceRecord saved = s.life().save(cap.capture(), cap.dirty());
            s.between(() -> {
                s.life().confirm(saved);
                return null;
            });
            c = s.life().commit(message);
        }
        long total = System.nanoTime() - t0;
        String id = c.snapshot() == null ? null : c.snapshot().hex();
        audit.record("commit", s.name(), "ok", id == null ? "nothing to commit" : "snapshot " + id.substring(0, 12)
                + " while running (guest paused " + pause[0] / 1000 + " us)");
        w.send(ok("instance", s.name(), "snapshot", id, "notice", c.notice(), "branch", c.instance().branch(),
                "pauseMicros", pause[0] / 1000, "totalMicros", total / 1000));
    }

    private void attach(Map<String, Object> req, Wire w) throws IOException {
        Supervisor s = get(req);
        boolean wantsInput = Json.bool(req, "input", true);
        ConsoleHub hub = s.console();
        ConsoleHub.Viewer v = hub.attach(w, wantsInput);
        audit.record("attach", s.name(), "ok", wantsInput ? (hub.typing(v) ? "typing" : "viewing (another viewer types)") : "viewing");
        try {
            v.event(Json.object("event", "attached", "instance", s.name(), "typing", hub.typing(v)));
            if (s.end().isDone()) {
                return;
            }
            Map<String, Object> m;
            while ((m = w.read()) != null) {
                String op = Json.string(m, "op");
                if ("input".equals(op)) {
                    byte[] data = Base64.getDecoder().decode(Json.string(m, "data"));
                    if (!hub.type(v, data)) {
                        v.event(Json.object("event", "notice", "text", "another viewer types on this console; this one only watches"));
                    }
                } else if ("detach".equals(op)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            hub.detach(v);
            v.awaitSent();      // the output and events queued before the detach go first
        }
        try {
            w.send(ok("instance", s.name(), "detached", true));
        } catch (IOException ignored) {
            // gone
        }
    }

    private void say(String line) {
        log.println(Instant.now() + " dom0[" + ProcessHandle.current().pid() + "]: " + line);
        log.flush();
    }

    /** For tests and `vmtree daemon`: the pid in a repository's pid file, or -1. */
    public static long pidOf(Path top) {
        try {
            return Long.parseLong(Files.readString(Dom0Paths.of(top).pid(), StandardCharsets.UTF_8).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

}
