package dev.vmtree.dom0.service;

import dev.vmtree.dom0.EngineChoice;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.InstanceRun;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineDriver.StopCause;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One background instance in the Dom0 daemon: its own toolstack, the instance's session (its lock,
 * held for the whole life of the run, so foreground commands that would change it are refused as
 * they are during `vmtree run`), the machine, its console hub, and the thread that runs it.
 *
 * <p>The machine runs in slices of {@value #SLICE} instructions. Between slices the thread does
 * what others asked of it (a capture for a running commit, a pause, a stop), and keeps virtual
 * time from running ahead of the host clock: an idle guest (waiting in wfi for its next timer)
 * would otherwise spin through virtual time as fast as the host can go, burning a core for
 * nothing, and its timers would fire far too early for anyone watching. A busy guest runs as fast
 * as it can (virtual time then lags behind; the lag is not made up later beyond {@value
 * #CATCH_UP_MILLIS} ms). Guest-visible time is still derived from instruction counts only.
 *
 * <p>Threading: the machine and the console's input side belong to the run thread; the session
 * and toolstack are used under {@link #sessionLock} by the run thread (its final save) and by
 * requests (a running commit); everything else here may be called from any thread.
 */
final class Supervisor {
    /** Instructions per slice: 0.1 s of virtual time (100 M instructions a second, docs/format.md). */
    static final long SLICE = 10_000_000L;
    static final long NANOS_PER_INSTRUCTION = 10;
    static final long CATCH_UP_MILLIS = 100;
    /** What a background run's instance lock says it is held for (status, ps and refusals read it). */
    public static final String ACTIVITY = "background (vmtree start)";

    /** The state words of `vmtree ps`. */
    enum State {
        RUNNING, PAUSED, STOPPING, STOPPED, CRASHED;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** How a background run ended: the cause word, a line for people, the record as saved (null if not). */
    record End(String cause, String why, InstanceRecord saved, boolean crashed) {
        /** The StateId of the working state the run saved, in hex, or null when nothing was saved. */
        String savedState() {
            return saved == null || saved.working() == null ? null : saved.working().stateId().hex();
        }
    }

    private final Toolstack ts;
    private final InstanceRun life;
    private final LiveMachine machine;
    private final ConsoleHub console;
    private final String name;
    private final EngineChoice engine;
    private final long memoryBytes;
    private final String startState;
    private final Instant started = Instant.now();
    private final long startNanos = System.nanoTime();
    final Object sessionLock = new Object();
    private final Queue<Runnable> tasks = new ArrayDeque<>();
    private final CompletableFuture<End> end = new CompletableFuture<>();
    private final Consumer<Supervisor> onEnd;

    private volatile State state = State.RUNNING;
    private volatile boolean stopAsked;
    private boolean ended;
    private volatile long pausedNanos;
    private volatile double mips;
    private long pausedSince;

    private Supervisor(Toolstack ts, InstanceRun life, ConsoleHub console, EngineChoice engine, long memoryBytes,
                       String startState, Consumer<Supervisor> onEnd) {
        this.ts = ts;
        this.life = life;
        this.machine = life.machine();
        this.console = console;
        this.name = life.name();
        this.engine = engine;
        this.memoryBytes = memoryBytes;
        this.startState = startState;
        this.onEnd = onEnd;
    }

    /**
     * Takes instance {@code nameOrNull} (null: the current one) and restores its machine, on the
     * caller's thread, so a refusal (LOCKED, no such instance, a damaged state) reaches the caller;
     * then {@link #go} starts it.
     *
     * @param force  run an instance that {@code vmtree migrate} retired, too ({@link Toolstack#startRun})
     * @param limits checks the machine's RAM against Dom0's limits before anything runs (throws to refuse)
     */
    static Supervisor open(Path top, String nameOrNull, EngineChoice engine, boolean force, Path consoleDir,
                           java.util.function.BiConsumer<String, Long> limits, Consumer<Supervisor> onEnd) {
        Toolstack ts = Toolstack.open(top);
        InstanceRun life = null;
        try {
            ts.useEngine(engine);
            life = ts.startRun(nameOrNull, ACTIVITY, force);
            InstanceRecord r = life.record();
            Machines machines = ts.machines();
            long memory = machines.memoryBytes(r);
            limits.accept(r.name(), memory);
            String stateHex = (r.currentState() != null ? r.currentState()
                    : machines.machineStateId(r.base(), "instance " + r.name() + "'s base")).hex();
            ConsoleHub hub = new ConsoleHub(consoleDir.resolve(r.name() + ".log"));
            Supervisor s = new Supervisor(ts, life, hub, engine, memory, stateHex, onEnd);
            hub.onInput(s::wake);
            return s;
        } catch (RuntimeException e) {
            if (life != null) {
                life.close();
            }
            ts.close();
            throw e;
        }
    }

    /** Starts the run thread. */
    void go() {
        Thread.ofPlatform().name("instance " + name).start(this::loop);
    }

    String name() {
        return name;
    }

    State state() {
        return state;
    }

    ConsoleHub console() {
        return console;
    }

    /** The engine the machine runs under (a live migration starts it under the same one there). */
    EngineChoice engine() {
        return engine;
    }

    long memoryBytes() {
        return memoryBytes;
    }

    /** The working state's StateId the instance started from (what `stop` left, or its base's). */
    String startState() {
        return startState;
    }

    CompletableFuture<End> end() {
        return end;
    }

    // ---- requests from other threads ------------------------------------------------------------

    /** Freezes the guest in place (between two slices); true if it was running. */
    synchronized boolean pause() {
        if (state != State.RUNNING) {
            return false;
        }
        state = State.PAUSED;
        pausedSince = System.nanoTime();
        machine.requestStop(StopCause.DETACH);
        notifyAll();
        return true;
    }

    /** Lets a paused guest go on; true if it was paused. */
    synchronized boolean resume() {
        if (state != State.PAUSED) {
            return false;
        }
        pausedNanos += System.nanoTime() - pausedSince;
        state = State.RUNNING;
        notifyAll();
        return true;
    }

    /** Asks the run to end with a suspend that saves the working state; {@link #end} completes when saved. */
    synchronized void stop() {
        if (state == State.STOPPED || state == State.CRASHED) {
            return;
        }
        stopAsked = true;
        if (state == State.PAUSED) {
            pausedNanos += System.nanoTime() - pausedSince;
        }
        state = State.STOPPING;
        machine.requestStop(StopCause.DETACH);
        notifyAll();
    }

    /**
     * Runs {@code task} on the run thread between two slices (the guest does not run meanwhile)
     * and returns what it returned; works while paused too. Fails when the run has ended.
     */
    <T> CompletableFuture<T> between(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        synchronized (this) {
            if (ended) {
                f.completeExceptionally(ToolstackException.failed("instance " + name + " is not running"));
                return f;
            }
            tasks.add(() -> {
                try {
                    f.complete(task.get());
                } catch (RuntimeException | Error e) {
                    f.completeExceptionally(e);
                }
            });
            machine.requestStop(StopCause.DETACH);
            notifyAll();
        }
        return f;
    }

    /**
     * The instance's life: its machine for tasks run {@link #between} slices only, its session and
     * saves under {@link #sessionLock}.
     */
    InstanceRun life() {
        return life;
    }

    /** Instructions the instance has run since its base snapshot (its virtual clock for the record). */
    long sinceBase() {
        return life.sinceBase();
    }

    private synchronized void wake() {
        notifyAll();
    }

    /** What `ps` shows. */
    java.util.Map<String, Object> info() {
        long hostNanos = System.nanoTime() - startNanos - pausedNanos();
        InstanceRecord r = life.record();
        return Json.object(
                "name", name,
                "state", state.word(),
                "branch", r.branch(),
                "base", r.base().hex(),
                "pid", ProcessHandle.current().pid(),
                "engine", engine.engine(),
                "mips", Math.round(mips * 10) / 10.0,
                "instructions", sinceBase(),
                "guestUptimeSeconds", Math.round(life.instructionsRun() * NANOS_PER_INSTRUCTION / 1e6) / 1e3,
                "hostUptimeSeconds", Math.round((System.nanoTime() - startNanos) / 1e6) / 1e3,
                "runningSeconds", Math.round(hostNanos / 1e6) / 1e3,
                "started", started.toString(),
                "memoryBytes", memoryBytes,
                "startState", startState,
                "viewers", (long) console.viewers().size());
    }

    private synchronized long pausedNanos() {
        return pausedNanos + (state == State.PAUSED ? System.nanoTime() - pausedSince : 0);
    }

    // ---- the run thread -------------------------------------------------------------------------

    /** The run stopped inside an instruction and could not be recovered: there is nothing to save. */
    private boolean unsaved;

    private void loop() {
        StopCause cause = null;
        String detail = null;
        Throwable failure = null;
        long paceStart = System.nanoTime(), paceInstructions = 0;
        long rateNanos = System.nanoTime(), rateInstructions = 0;
        try {
            while (true) {
                runTasks();
                synchronized (this) {
                    if (stopAsked) {
                        break;
                    }
                    if (state == State.PAUSED) {
                        wait(100);
                        continue;
                    }
                }
                // pace: never ahead of the host clock (pauses do not count as host time)
                long wall = System.nanoTime() - paceStart - pausedNanos;
                long virtual = (life.instructionsRun() - paceInstructions) * NANOS_PER_INSTRUCTION;
                if (virtual > wall + 1_000_000) {
                    waitFor(Math.min(virtual - wall, 100_000_000L));
                    continue;
                }
                if (wall - virtual > CATCH_UP_MILLIS * 1_000_000L) {
                    // a busy guest fell behind: start pacing afresh from here rather than race to catch up
                    paceStart = System.nanoTime() - pausedNanos;
                    paceInstructions = life.instructionsRun();
                }
                RunOutcome o = machine.run(SLICE, null, console);
                life.ran(o.instructions());
                long now = System.nanoTime();
                if (now - rateNanos >= 1_000_000_000L) {
                    mips = (life.instructionsRun() - rateInstructions) / ((now - rateNanos) / 1e3);
                    rateNanos = now;
                    rateInstructions = life.instructionsRun();
                }
                switch (o.cause()) {
                    case BUDGET, DETACH, SIGNAL, TIMEOUT, QUIET -> { }
                    case IDLE -> {
                        // every hart waits for console input and no timer is armed: sleep until someone types
                        synchronized (this) {
                            while (!stopAsked && tasks.isEmpty() && !console.inputPending() && state == State.RUNNING) {
                                wait(1000);
                            }
                        }
                        // idle time is not virtual time: pacing restarts when the guest wakes
                        paceStart = System.nanoTime() - pausedNanos;
                        paceInstructions = life.instructionsRun();
                    }
                    case UNAVAILABLE -> {
                        // a lazy clone's remote is gone: the machine stopped inside an instruction; the run up to
                        // where it was whole is re-run from the last save and saved by finish()
                        cause = o.cause();
                        detail = "a page could not be faulted in: " + o.detail();
                        try {
                            synchronized (sessionLock) {
                                life.recover();
                            }
                        } catch (RuntimeException e) {
                            detail += "; its run since the last save cannot be saved: " + e.getMessage();
                            unsaved = true;
                        }
                    }
                    case POWER_OFF, GUEST_FAULT, STUCK -> {
                        cause = o.cause();
                        detail = o.cause() == StopCause.GUEST_FAULT ? "the guest reported failure " + o.guestExitCode()
                                : o.cause() == StopCause.STUCK ? "the guest is stuck: " + o.detail() : "the guest powered off";
                    }
                }
                if (cause != null) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        finish(cause, detail, failure);
    }

    private void runTasks() {
        while (true) {
            Runnable t;
            synchronized (this) {
                t = tasks.poll();
            }
            if (t == null) {
                return;
            }
            t.run();
        }
    }

    private synchronized void waitFor(long nanos) throws InterruptedException {
        if (!stopAsked && tasks.isEmpty() && state == State.RUNNING && !console.inputPending()) {
            wait(Math.max(1, nanos / 1_000_000), (int) (nanos % 1_000_000));
        }
    }

    /**
     * Ends the run: saves the working state (retrying while the store refuses, as `run` does; the
     * machine stays in memory meanwhile), releases the instance and tells whoever waits.
     */
    private void finish(StopCause cause, String detail, Throwable failure) {
        InstanceRecord saved = null;
        String why;
        boolean crashed = failure != null || cause == StopCause.GUEST_FAULT || cause == StopCause.STUCK || unsaved;
        if (failure != null) {
            why = "the run failed: " + failure;
        } else if (cause == null) {
            why = "stopped";
        } else {
            why = detail;
        }
        long pause = 100;
        for (int attempt = 1; saved == null && !unsaved; attempt++) {
            try {
                synchronized (sessionLock) {
                    runTasks();
                    saved = life.save();
                }
            } catch (RuntimeException e) {
                if (attempt >= 50) {
                    why += "; its run since the last save could not be saved: " + e.getMessage();
                    crashed = true;
                    break;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                pause = Math.min(pause * 2, 5000);
            }
        }
        runLastTasks();
        console.close();
        state = crashed ? State.CRASHED : State.STOPPED;
        End e = new End(cause == null ? (failure != null ? "error" : "stop") : cause.name().toLowerCase(java.util.Locale.ROOT),
                why, saved, crashed);
        try {
            life.close();
        } finally {
            ts.close();
        }
        end.complete(e);
        onEnd.accept(this);
    }

    /** No task is taken from now on; those already asked for run on the machine as it was saved. */
    private void runLastTasks() {
        synchronized (this) {
            ended = true;
        }
        runTasks();
    }
}
