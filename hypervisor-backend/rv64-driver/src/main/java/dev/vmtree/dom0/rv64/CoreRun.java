package dev.vmtree.dom0.rv64;

import dev.vmtree.core.Machine;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.cpu.Timebase;
import dev.vmtree.cow.PageUnavailableException;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineDriver.StopCause;
import java.time.Duration;

/**
 * Runs a core {@link Machine} with its console the way Dom0 runs machines, for stored instances
 * ({@link CoreMachine}) and for {@code vmtree exec} (a machine stored nowhere) alike: in slices of
 * {@link #SLICE} instructions, so output is flushed every few milliseconds of guest time; stop
 * requests from any thread (detach, signals, timeout) interrupt the core within one check point;
 * and the idle rule of {@link MachineDriver.LiveMachine#run(long, Duration, MachineDriver.Console)}.
 *
 * <p>The idle rule is decided from instruction counts only: since the last console activity (a
 * byte the guest wrote or took), the virtual time that passed with every hart waiting
 * ({@link Machine#idleInstructions}) must reach the idle time, with the input ended; slices are
 * cut so the run stops at the first check of the loop where it does. When the end of input is
 * found mid-slice, the run checks at the next step of the core's loop (a check point or the
 * hypercall that asked), a global count too. A page that cannot be faulted in for now (a lazy
 * clone's remote is gone) ends the run {@link StopCause#UNAVAILABLE} at the start of its slice, the
 * last count at which the machine was whole; faults are the slow path of a page miss, so the hot
 * loop neither tests nor catches anything for it. Driven by one thread; {@link #requestStop} from any.
 */
public final class CoreRun {
    /** Instructions per slice: a few milliseconds of guest time between looks at stop requests. */
    public static final long SLICE = 1L << 21;

    private final Machine machine;
    private final SwitchableConsole console;
    private volatile StopCause requested;

    public CoreRun(Machine machine, SwitchableConsole console) {
        this.machine = machine;
        this.console = console;
        console.clock(machine::now, machine::idleInstructions);
    }

    /** Instructions of virtual time in {@code idle} (the timebase's 10 MHz, 10 instructions a tick). */
    public static long idleInstructions(Duration idle) {
        if (idle.isNegative()) {
            throw new IllegalArgumentException("negative idle time: " + idle);
        }
        long ticksPerSecond = Timebase.FREQUENCY_HZ;
        long perTick = Timebase.INSTRUCTIONS_PER_TICK;
        long seconds = Math.min(idle.getSeconds(), Long.MAX_VALUE / (ticksPerSecond * perTick));
        long ticks = seconds * ticksPerSecond + idle.getNano() * ticksPerSecond / 1_000_000_000L;
        return ticks > Long.MAX_VALUE / perTick ? Long.MAX_VALUE : ticks * perTick;
    }

    /** See {@link MachineDriver.LiveMachine#run(long, Duration, MachineDriver.Console)}. */
    public RunOutcome run(long maxInstructions, Duration idle, MachineDriver.Console out) {
        console.attach(out);
        long idleFor = idle == null ? -1 : idleInstructions(idle);
        // the end of input found mid-slice: stop the slice there to apply the rule at a global count
        console.onInputEnd(idleFor < 0 ? null : machine::interrupt);
        requested = null;
        long start = machine.instructions();
        long end = maxInstructions < 0 || start + maxInstructions < start ? Long.MAX_VALUE : start + maxInstructions;
        try {
            while (true) {
                machine.clearInterrupt();       // before looking at requested: a request sets it first
                StopCause stop = requested;
                if (stop != null) {
                    return outcome(stop, start, 0, null);
                }
                long now = machine.instructions();
                long slice = Math.min(SLICE, end - now);
                if (idleFor >= 0 && console.inputEnded() && machine.heldInputBytes() == 0) {
                    // only time the guest spent waiting counts: a silent computation (a kernel loading
                    // modules) is not idleness; at least the rest must pass before the rule can hold
                    long quiet = machine.idleInstructions() - console.idleAtLastActivity();
                    if (quiet >= idleFor) {
                        return outcome(StopCause.QUIET, start, 0, null);
                    }
                    slice = Math.min(slice, idleFor - quiet);
                }
                // a budget of 0 still asks the core once, which retires nothing but says whether the guest is off
                RunResult r;
                try {
                    r = machine.run(slice);
                } catch (PageUnavailableException e) {
                    // a lazy clone's remote is gone: the core stopped inside an instruction, so the machine is
                    // whole only as it was when this slice began (a global count): the driver recovers it there
                    return new RunOutcome(StopCause.UNAVAILABLE, now - start, 0, e.getMessage());
                }
                StopCause why = causeOf(r);
                if (why != null) {
                    StopCause asked = requested;
                    if (why == StopCause.IDLE && asked != null) {
                        return outcome(asked, start, 0, null);
                    }
                    return outcome(why, start, why == StopCause.GUEST_FAULT ? (int) r.detail() : 0,
                            why == StopCause.STUCK && machine.trapLoop() != null ? machine.trapLoop().describe() : null);
                }
                if (machine.instructions() >= end) {
                    return outcome(StopCause.BUDGET, start, 0, null);
                }
            }
        } finally {
            console.onInputEnd(null);
            console.flush();
        }
    }

    /** Asks a running {@link #run} to stop after the current instruction; callable from any thread. */
    public void requestStop(StopCause cause) {
        if (requested == null) {
            requested = cause;
        }
        machine.interrupt();
        console.wake();
    }

    /** The stop asked for since the last {@link #clearRequest}, or null. */
    StopCause requested() {
        return requested;
    }

    void clearRequest() {
        requested = null;
    }

    /** Why a core run ended, as Dom0 names it; null when it only used up its budget. */
    static StopCause causeOf(RunResult r) {
        return switch (r.reason()) {
            case SHUTDOWN, REBOOT -> StopCause.POWER_OFF;
            case GUEST_FAILURE -> StopCause.GUEST_FAULT;
            case IDLE -> StopCause.IDLE;
            case TRAP_LOOP -> StopCause.STUCK;
            case BUDGET_EXHAUSTED, BREAKPOINT -> null;     // Dom0 sets no breakpoints; the debugger has its own loop
        };
    }

    private RunOutcome outcome(StopCause cause, long start, int code, String detail) {
        return new RunOutcome(cause, machine.instructions() - start, code, detail);
    }
}
