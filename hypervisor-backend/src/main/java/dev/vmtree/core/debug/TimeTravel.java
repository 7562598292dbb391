package dev.vmtree.core.debug;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.input.InputEvent;
import dev.vmtree.core.input.ReplayInput;
import dev.vmtree.core.state.MachineState;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A machine that can run backwards: the engine behind the gdb stub (docs/debug.md). It moves a
 * {@link Machine} forward one instruction or many, and backward by restoring the nearest
 * automatic checkpoint (a copy-on-write {@link Machine#capture()} taken every
 * {@code checkpointInterval} instructions) and running forward again to the wanted count.
 *
 * <p>Re-execution is exact because the core is deterministic and everything else is given back:
 * outside input delivered during the session is recorded and replayed below the <em>frontier</em>
 * (the furthest count reached), and edits (a debugger writing memory or registers) are kept with
 * their counts and applied again when the clock gets there. Guest output is shown once: a console
 * filter drops what re-execution prints below the frontier.
 *
 * <p>Breakpoints are pc values tested before each instruction while stepping; watchpoints compare
 * the watched bytes after each instruction (write watchpoints) and, when they changed, go back one
 * instruction, so the machine stops before the store as a hardware trigger would (gdb then steps
 * over it and shows old and new value). With neither set, {@link #resume} runs in large slices.
 * Every machine the session restores runs under the engine of the machine it was given.
 * Not thread-safe except {@link #interrupt}.
 */
public final class TimeTravel {
    /** Default instructions between two automatic checkpoints. */
    public static final long DEFAULT_CHECKPOINT_INTERVAL = 1L << 20;
    private static final long SLICE = 1L << 20;
    private static final int INTERRUPT_CHECK = 1 << 12;

    /** Why a forward or backward move ended. */
    public enum Stop { STEPPED, BREAKPOINT, WATCHPOINT, INTERRUPTED, HISTORY_START, IDLE, EXITED }

    /** The end of a move; {@code watchAddress} is set for {@link Stop#WATCHPOINT}, {@code exitCode} for EXITED. */
    public record Outcome(Stop stop, long watchAddress, int exitCode) {
        static Outcome of(Stop s) {
            return new Outcome(s, 0, 0);
        }
    }

    /** A memory range whose bytes are watched for writes. */
    private record Watch(long address, int length) {}

    private record Edit(long at, Consumer<Machine> apply) {}

    private final long interval;
    private final long start;
    private final Console console;
    private final ExternalInput live;
    private final Engine engine;
    private final TreeMap<Long, MachineState> checkpoints = new TreeMap<>();
    private final List<InputEvent> recorded = new ArrayList<>();
    private final List<Edit> edits = new ArrayList<>();
    private final TreeSet<Long> breakpoints = new TreeSet<>();
    private final List<Watch> watches = new ArrayList<>();
    private Machine machine;
    private long frontier;
    private volatile boolean interrupted;

    /**
     * Takes over {@code machine} (which must be between runs): its input becomes {@code live} past
     * the frontier, its output goes to {@code console} once.
     */
    public TimeTravel(Machine machine, Console console, ExternalInput live, long checkpointInterval) {
        if (checkpointInterval < 1) {
            throw new IllegalArgumentException("checkpoint interval must be positive");
        }
        this.interval = checkpointInterval;
        this.console = console;
        this.live = live;
        this.engine = machine.engine();
        this.start = machine.instructions();
        this.frontier = start;
        checkpoints.put(start, machine.capture());
        adopt(Machine.restore(checkpoints.get(start), new OnceConsole(), new SessionInput(start)));
    }

    /** The machine as it stands now (it changes identity when the session goes back in time). */
    public Machine machine() {
        return machine;
    }

    /** The count the session started at: reverse execution stops there. */
    public long start() {
        return start;
    }

    public long now() {
        return machine.instructions();
    }

    /** The furthest count the session has reached (below it, history is replayed). */
    public long frontier() {
        return frontier;
    }

    /** The hart that executes next. */
    public int currentHart() {
        return machine.currentHart();
    }

    /** Asks a running {@link #resume} (or a reverse search) to stop soon; any thread. */
    public void interrupt() {
        interrupted = true;
    }

    // ---- breakpoints, watchpoints and edits ------------------------------------------------------

    public void addBreakpoint(long pc) {
        breakpoints.add(pc);
        installBreakpoints();
    }

    public boolean removeBreakpoint(long pc) {
        boolean removed = breakpoints.remove(pc);
        installBreakpoints();
        return removed;
    }

    /** Breakpoints live in the machine's decoder: runs go at full speed and stop before their instruction. */
    private void installBreakpoints() {
        long[] pcs = new long[breakpoints.size()];
        int i = 0;
        for (long pc : breakpoints) {
            pcs[i++] = pc;
        }
        machine.memory().setBreakpoints(pcs);
    }

    public void addWatchpoint(long address, int length) {
        if (length < 1 || length > 8) {
            throw new IllegalArgumentException("watchpoints cover 1 to 8 bytes");
        }
        watches.add(new Watch(address, length));
    }

    public boolean removeWatchpoint(long address, int length) {
        return watches.remove(new Watch(address, length));
    }

    /**
     * Changes the machine from outside at the current count (a debugger writing memory or a
     * register). Only at the frontier: changing the past would fork history, which the session
     * does not keep (IllegalStateException).
     */
    public void edit(Consumer<Machine> change) {
        if (now() < frontier) {
            throw new IllegalStateException("the machine is at " + now() + ", in its recorded past (the session has"
                    + " reached " + frontier + "): go forward to the present to change it");
        }
        change.accept(machine);
        machine.memory().invalidateCode();
        edits.add(new Edit(now(), change));
    }

    // ---- forward ---------------------------------------------------------------------------------

    /** Executes one instruction (or lets the clock move while every hart waits). */
    public Outcome step() {
        interrupted = false;
        return advance(now() + 1, false);
    }

    /** Runs until a breakpoint or watchpoint hits, the guest exits or idles, or {@link #interrupt}. */
    public Outcome resume() {
        interrupted = false;
        return advance(Long.MAX_VALUE, true);
    }

    /** Runs forward to exactly {@code target} (passing breakpoints); false when the guest stopped first. */
    boolean runTo(long target) {
        return advance(target, false).stop() == Stop.STEPPED && now() == target;
    }

    /**
     * Moves forward to {@code target}; with {@code watching}, stops at breakpoints (not at the
     * starting pc: resuming from a breakpoint runs its instruction) and watchpoints. Without
     * watchpoints it runs in slices, the decoder stopping it at breakpoints; with them it steps.
     */
    private Outcome advance(long target, boolean watching) {
        boolean stepEach = watching && !watches.isEmpty() || target - now() <= 1;
        long[] watched = watchedValues();
        int sinceCheck = 0;
        boolean first = true;
        try {
            while (now() < target) {
                long at = now();
                applyEdits(at);
                checkpoint(at);
                if (++sinceCheck >= INTERRUPT_CHECK || !stepEach) {
                    sinceCheck = 0;
                    if (interrupted) {
                        interrupted = false;
                        return Outcome.of(Stop.INTERRUPTED);
                    }
                }
                long limit = Math.min(target, nextStop(at));
                RunResult r = first ? passBreakpoint() : machine.run(stepEach ? 1 : Math.min(SLICE, limit - at));
                first = false;
                frontier = Math.max(frontier, now());
                switch (r.reason()) {
                    case SHUTDOWN, REBOOT -> {
                        return new Outcome(Stop.EXITED, 0, 0);
                    }
                    case GUEST_FAILURE -> {
                        return new Outcome(Stop.EXITED, 0, (int) Math.max(1, Math.min(255, r.detail())));
                    }
                    case IDLE, TRAP_LOOP -> {          // a stuck hart stops the debugger where it is stuck
                        return Outcome.of(Stop.IDLE);
                    }
                    case BREAKPOINT -> {
                        if (watching) {
                            return Outcome.of(Stop.BREAKPOINT);
                        }
                        first = true;           // re-execution passes them
                        continue;
                    }
                    case BUDGET_EXHAUSTED -> { }
                }
                if (watching && !watches.isEmpty()) {
                    for (int i = 0; i < watches.size(); i++) {
                        long v = read(watches.get(i));
                        if (v != watched[i]) {
                            // report it as a debug trigger does: before the store, so gdb steps over it
                            goTo(at);
                            return new Outcome(Stop.WATCHPOINT, watches.get(i).address(), 0);
                        }
                    }
                }
            }
            applyEdits(now());
            return Outcome.of(Stop.STEPPED);
        } finally {
            console.flush();
        }
    }

    /** Executes the next instruction even when it sits at a breakpoint (resuming from one). */
    private RunResult passBreakpoint() {
        machine.memory().skipBreakpointOnce(pcOfCurrent());
        try {
            return machine.run(1);
        } finally {
            machine.memory().skipBreakpointOnce(-1);
        }
    }

    /** The next count at which the session must look: an edit or a checkpoint. */
    private long nextStop(long at) {
        long next = at - Math.floorMod(at - start, interval) + interval;
        for (Edit e : edits) {
            if (e.at() > at && e.at() < next) {
                next = e.at();
            }
        }
        return next;
    }

    /** Re-applies the edits made at {@code at} (they set values, so applying one twice is harmless). */
    private void applyEdits(long at) {
        if (at >= frontier) {
            return;         // at the frontier an edit is applied by edit() itself
        }
        for (Edit e : edits) {
            if (e.at() == at) {
                e.apply().accept(machine);
                machine.memory().invalidateCode();
            }
        }
    }

    private void checkpoint(long at) {
        if ((at - start) % interval == 0 && !checkpoints.containsKey(at)) {
            checkpoints.put(at, machine.capture());
        }
    }

    // ---- backward --------------------------------------------------------------------------------

    /** Goes back one instruction (to the count before this one); HISTORY_START when already at the start. */
    public Outcome reverseStep() {
        interrupted = false;
        long now = now();
        if (now <= start) {
            return Outcome.of(Stop.HISTORY_START);
        }
        goTo(now - 1);
        return Outcome.of(Stop.STEPPED);
    }

    /**
     * Goes back to the latest moment before now at which a breakpoint's pc was about to execute or
     * a watched value was written (stopping before the writing instruction); to the session's start
     * (HISTORY_START) when there is none.
     */
    public Outcome reverseResume() {
        interrupted = false;
        long now = now();
        long hi = now;
        while (hi > start) {
            long lo = checkpoints.floorKey(hi - 1);
            Hit hit = lastHit(lo, hi);
            if (hit != null) {
                goTo(hit.at);
                return hit.watch < 0 ? Outcome.of(Stop.BREAKPOINT) : new Outcome(Stop.WATCHPOINT, hit.watch, 0);
            }
            if (interrupted) {
                interrupted = false;
                goTo(lo);
                return Outcome.of(Stop.INTERRUPTED);
            }
            hi = lo;
        }
        goTo(start);
        return Outcome.of(Stop.HISTORY_START);
    }

    private record Hit(long at, long watch) {}

    /**
     * The last breakpoint or watchpoint hit in [lo, hi): replays that stretch from its checkpoint,
     * in slices stopped by the decoder at breakpoints, or one instruction at a time with watchpoints.
     */
    private Hit lastHit(long lo, long hi) {
        restore(lo);
        Hit last = null;
        long[] values = watchedValues();
        boolean stepEach = !watches.isEmpty();
        while (now() < hi) {
            long at = now();
            applyEdits(at);
            RunResult r = machine.run(stepEach ? 1 : Math.min(SLICE, Math.min(hi, nextStop(at)) - at));
            if (r.reason() == StopReason.BREAKPOINT) {
                last = new Hit(now(), -1);
                r = passBreakpoint();
            }
            if (r.reason() != StopReason.BUDGET_EXHAUSTED) {
                break;
            }
            for (int i = 0; i < watches.size(); i++) {
                long v = read(watches.get(i));
                if (v != values[i]) {
                    values[i] = v;
                    last = new Hit(at, watches.get(i).address());
                }
            }
        }
        return last;
    }

    /** Puts the machine at exactly {@code target} (at or below the frontier) by restore and replay. */
    private void goTo(long target) {
        long from = checkpoints.floorKey(target);
        restore(from);
        if (!runTo(target)) {
            throw new IllegalStateException("re-execution stopped at " + now() + " before " + target
                    + ": the session's history is inconsistent");
        }
    }

    private void restore(long checkpoint) {
        adopt(Machine.restore(checkpoints.get(checkpoint), new OnceConsole(), new SessionInput(checkpoint)));
    }

    private void adopt(Machine m) {
        m.setEngine(engine);        // a restored machine starts under the environment's engine
        this.machine = m;
        if (!breakpoints.isEmpty()) {
            installBreakpoints();
        }
        m.setInputListener(e -> {
            if (e.at() >= frontier) {
                recorded.add(e);
            }
        });
    }

    // ---- reading ---------------------------------------------------------------------------------

    private long pcOfCurrent() {
        return machine.hart(machine.currentHart()).pc();
    }

    private long[] watchedValues() {
        long[] v = new long[watches.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = read(watches.get(i));
        }
        return v;
    }

    private long read(Watch w) {
        byte[] b = new byte[w.length()];
        long pa = Addresses.physical(machine, machine.currentHart(), w.address());
        if (pa < 0 || !machine.memory().readRam(pa, b, 0, b.length)) {
            return Long.MIN_VALUE;        // unmapped: compares equal to itself, so never "changes"
        }
        long v = 0;
        for (int i = b.length - 1; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xFF);
        }
        return v;
    }

    /** Breakpoints set now, for tests and `info`. */
    public List<Long> breakpoints() {
        return List.copyOf(breakpoints);
    }

    /** Counts at which a checkpoint exists. */
    public List<Long> checkpointCounts() {
        return List.copyOf(checkpoints.keySet());
    }

    /** Whether {@code hart} exists. */
    public boolean hasHart(int hart) {
        return hart >= 0 && hart < machine.harts().size();
    }

    /** The harts of the machine. */
    public List<Hart> harts() {
        return machine.harts();
    }

    // ---- input and output that happen once -------------------------------------------------------

    /** Below the frontier the recorded input; at or past it the live source. */
    private final class SessionInput implements ExternalInput {
        private final ReplayInput replay;

        SessionInput(long from) {
            List<InputEvent> events = new ArrayList<>();
            for (InputEvent e : recorded) {
                if (e.at() >= from) {
                    events.add(e);
                }
            }
            this.replay = new ReplayInput(events);
        }

        @Override
        public int console(long now, boolean idle, byte[] dst, int max) {
            return now < frontier ? replay.console(now, idle, dst, max) : live.console(now, idle, dst, max);
        }

        @Override
        public void entropy(long now, byte[] dst, int off, int len) {
            if (now < frontier) {
                replay.entropy(now, dst, off, len);
            } else {
                live.entropy(now, dst, off, len);
            }
        }

        @Override
        public boolean awaitConsole(long now) {
            return now < frontier ? replay.awaitConsole(now) : live.awaitConsole(now);
        }

        @Override
        public long nextConsoleAt(long now) {
            return now < frontier ? replay.nextConsoleAt(now) : live.nextConsoleAt(now);
        }
    }

    /** Passes output on only when the clock is at or past the frontier: re-executed output was shown already. */
    private final class OnceConsole implements Console {
        @Override
        public void write(int b) {
            if (machine != null && machine.now() >= frontier) {
                console.write(b);
            }
        }

        @Override
        public int read() {
            return -1;
        }

        @Override
        public void flush() {
            console.flush();
        }
    }
}
