package dev.vmtree.cli;

import dev.vmtree.dom0.Durations;
import dev.vmtree.dom0.InstanceSession;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineDriver.StopCause;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** {@code vmtree run}: run an instance from its working state until something stops it, then suspend. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run an instance from where it stands (its working state, else its base snapshot), with the"
                + " guest console on this terminal or fed from --input.",
            "On a terminal every key, Ctrl-C included, goes to the guest; Ctrl-] detaches. Whatever stops the run"
                + " (guest power-off, --max-instructions, --timeout, detach, SIGINT, SIGTERM, input that ended while"
                + " the guest waits for more) suspends it: the working state is saved and the next run continues"
                + " exactly there. A save that fails is retried with the machine kept in memory until it works;"
                + " SIGINT or SIGTERM then gives up (status 1). SIGKILL loses only the run since the last suspend.",
            "Exit status: 0 powered off, detached or waiting for input; 1 guest failure or a save given up; 3 budget or"
                + " timeout; 130 SIGINT; 143 SIGTERM (each after a clean suspend); 2 a bad option; 4 no repository or an unreadable"
                + " --input; 6 instance already running."},
        footer = {"", "Examples:", "  vmtree run", "  vmtree run --input script.txt --max-instructions 50000000",
            "  echo 'get x' | vmtree run -i other --input -"})
public final class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance to run (default: the current one).")
    String instance;

    @Option(names = "--max-instructions", paramLabel = "N",
            description = "Suspend after N more instructions (0: run none; default: no limit).")
    Long maxInstructions;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Suspend after this much wall-clock time (e.g. 30s, 5m).")
    String timeout;

    @Option(names = "--input", paramLabel = "FILE|-",
            description = "Console input from FILE, or '-' for standard input, instead of the terminal; when it"
                    + " ends and the guest waits for more, the run suspends.")
    String input;

    @Override
    public Integer call() {
        long budget = MachineValues.budget("--max-instructions", maxInstructions);
        Duration limit = timeout == null ? null : Durations.parse(timeout);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Toolstack ts = Dom0Cli.open(spec)) {
            try (InstanceSession session = ts.session(instance, "run")) {
                InstanceRecord r = session.record();
                Machines machines = ts.machines();
                try (LiveMachine m = machines.open(r)) {
                    return run(session, machines, r, m, budget, limit, out, err);
                }
            }
        }
    }

    private int run(InstanceSession session, Machines machines, InstanceRecord r, LiveMachine m, long budget, Duration limit,
                    PrintWriter out, PrintWriter err) {
        boolean terminal = input == null && Tty.interactive();
        TerminalConsole console = console(out, terminal, m);
        Tty tty = terminal ? Tty.raw() : null;
        if (terminal && !Dom0Cli.quiet(spec)) {
            err.println("vmtree: running " + r.name() + " (" + TerminalConsole.DETACH_NAME + " detaches)\r");
            err.flush();
        }
        SignalHandler previousInt = handle("INT", () -> m.requestStop(StopCause.SIGNAL));
        int[] signal = {0};
        SignalHandler previousTerm = handle("TERM", () -> {
            signal[0] = 143;
            m.requestStop(StopCause.SIGNAL);
        });
        ScheduledExecutorService timer = null;
        if (limit != null) {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
            timer.schedule(() -> m.requestStop(StopCause.TIMEOUT), limit.toMillis(), TimeUnit.MILLISECONDS);
        }
        RunOutcome outcome;
        try {
            outcome = m.run(budget, console);
        } finally {
            if (timer != null) {
                timer.shutdownNow();
            }
            if (tty != null) {
                tty.close();
            }
        }
        // the run exists only in this process until saved: a failed save is retried, a signal now gives it up
        CountDownLatch giveUp = new CountDownLatch(1);
        handle("INT", giveUp::countDown);
        handle("TERM", giveUp::countDown);
        InstanceRecord saved;
        try {
            saved = new Saving(err).save(r.name() + "'s run of " + String.format("%,d", outcome.instructions())
                    + " instructions", () -> machines.suspend(session, m, Machines.sinceBase(r) + outcome.instructions()), giveUp);
        } finally {
            restore("INT", previousInt);
            restore("TERM", previousTerm);
        }
        out.flush();
        String why = switch (outcome.cause()) {
            case POWER_OFF -> "the guest powered off";
            case GUEST_FAULT -> "the guest reported failure " + outcome.guestExitCode();
            case BUDGET -> "the instruction budget ran out";
            case TIMEOUT -> "the timeout passed";
            case DETACH -> "detached";
            case SIGNAL -> signal[0] == 143 ? "SIGTERM" : "SIGINT";
            case IDLE -> "the guest waits for input and none is left";
        };
        if (!Dom0Cli.quiet(spec)) {
            err.println((terminal ? "\r\n" : "") + "vmtree: suspended " + r.name() + " after "
                    + String.format("%,d", outcome.instructions()) + " instructions (" + why + "); state "
                    + saved.working().stateId().shortHex());
        }
        return switch (outcome.cause()) {
            case POWER_OFF, DETACH, IDLE -> ExitCodes.OK;
            case GUEST_FAULT -> ExitCodes.FAILURE;
            case BUDGET, TIMEOUT -> ExitCodes.BUDGET;
            case SIGNAL -> signal[0] == 143 ? 143 : 130;
        };
    }

    private TerminalConsole console(PrintWriter out, boolean terminal, LiveMachine m) {
        if (input == null) {
            return new TerminalConsole(out, System.in, terminal, () -> m.requestStop(StopCause.DETACH));
        }
        if (input.equals("-")) {
            return new TerminalConsole(out, System.in, false, () -> {});
        }
        return TerminalConsole.ofBytes(out, MachineValues.readInput("--input", Path.of(input)));
    }

    static SignalHandler handle(String name, Runnable action) {
        try {
            return Signal.handle(new Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            return null;     // the signal is reserved here (e.g. by a debugger): run without it
        }
    }

    static void restore(String name, SignalHandler previous) {
        if (previous != null) {
            try {
                Signal.handle(new Signal(name), previous);
            } catch (IllegalArgumentException ignored) {
                // nothing to restore
            }
        }
    }

    /** The names {@link MachineDriver.StopCause} values print as (for docs and tests). */
    static String describe(MachineDriver.StopCause c) {
        return c.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
