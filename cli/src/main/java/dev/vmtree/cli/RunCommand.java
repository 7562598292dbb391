package dev.vmtree.cli;

import dev.vmtree.dom0.Durations;
import dev.vmtree.dom0.InstanceRun;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineDriver.StopCause;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.store.Promisor;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree run}: run an instance from its working state until something stops it, then suspend. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run an instance from where it stands (its working state, else its base snapshot), with the"
                + " guest console on this terminal or fed from --input.",
            "On a terminal every key, Ctrl-C included, goes to the guest; Ctrl-] detaches. Whatever stops the run"
                + " (guest power-off, --max-instructions, --timeout, detach, SIGINT, SIGTERM, input that ended while"
                + " the guest waits for more or prints nothing for --idle, a guest stuck in a trap loop) suspends it: the"
                + " working state is saved and the next run continues exactly there. A save that fails is retried with"
                + " the machine kept in memory until it works; SIGINT or SIGTERM then gives up (status 1). SIGKILL loses"
                + " only the run since the last suspend.",
            "In a lazy clone (`clone --lazy`) a page absent here is fetched from the remote on first touch, verified;"
                + " when that remote cannot give it (gone, or its server stopped), the run suspends as it stood before"
                + " the last few million instructions (re-run from the last save, with its console input), saved, and"
                + " says so: run again once the remote is back. A line then says how much was faulted in.",
            "Exit status: 0 powered off, detached, waiting for input or idle; 1 guest failure, a hart stuck"
                + " trapping at its own trap vector, a page a lazy clone's remote could not give (the run is saved up"
                + " to before it), or a save given up; 3 budget or timeout;"
                + " 130 SIGINT; 143 SIGTERM (each after a clean suspend); 2 a bad option (--engine included); 4 no repository or an unreadable"
                + " --input, or a limit (dom0.maxInstances, dom0.maxMemory) refuses the start; 6 instance already running.",
            "An instance that `vmtree migrate` moved to another repository is refused (status 1) unless --force."},
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
                    + " ends and the guest waits for more, or has printed nothing for the --idle time, the run"
                    + " suspends.")
    String input;

    @Option(names = "--idle", paramLabel = "DURATION", defaultValue = "2s",
            description = "With --input: once the input has ended and the guest has taken it all, suspend when the"
                    + " guest has printed nothing while its harts waited for this much virtual time (time derived"
                    + " from instruction counts, so the moment is the same on every run; default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(names = "--force", description = "Run an instance that `vmtree migrate` retired: it runs here again as a"
            + " copy of the machine that went elsewhere, with a new VM generation ID.")
    boolean force;

    @Mixin
    EngineOption engineOption;

    @Override
    public Integer call() {
        long budget = MachineValues.budget("--max-instructions", maxInstructions);
        Duration limit = timeout == null ? null : Durations.parse(timeout);
        Duration quiet = Durations.parse(idle);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Toolstack ts = engineOption.open(spec); InstanceRun life = ts.startRun(instance, "run", force)) {
            InstanceRecord r = life.record();
            ts.policy().admit(r);
            ts.policy().audit(AuditLog.START, r.name(), AuditLog.Outcome.OK, "vmtree run (foreground)");
            try {
                return run(ts, life, budget, limit, quiet, out, err);
            } catch (RuntimeException e) {
                ts.policy().audit(AuditLog.STOP, r.name(), AuditLog.Outcome.FAILED, ErrorHandler.message(e));
                throw e;
            }
        }
    }

    private int run(Toolstack ts, InstanceRun life, long budget, Duration limit, Duration quiet, PrintWriter out,
                    PrintWriter err) {
        InstanceRecord r = life.record();
        LiveMachine m = life.machine();
        RunOutcome outcome;
        InstanceRecord saved;
        boolean terminal;
        int signal;
        try (ConsoleSession session = ConsoleSession.open(out, input, limit, m::requestStop)) {
            terminal = session.terminal();
            if (terminal && !Dom0Cli.quiet(spec)) {
                err.println("vmtree: running " + r.name() + " (" + TerminalConsole.DETACH_NAME + " detaches)\r");
                err.flush();
            }
            // the idle rule needs input that can end: --input; a terminal's never does
            outcome = m.run(budget, input == null ? null : quiet, session.console());
            session.release();
            signal = session.signalStatus();
            // the run exists only in this process until saved: a failed save is retried, a signal now gives it
            // up (these handlers replace the session's; closing the session puts back what was there before)
            CountDownLatch giveUp = new CountDownLatch(1);
            handle("INT", giveUp::countDown);
            handle("TERM", giveUp::countDown);
            life.ran(outcome.instructions());
            if (outcome.cause() == StopCause.UNAVAILABLE) {
                try {
                    // stopped inside an instruction: re-run from the last save to where it was whole, then save that
                    life.recover();
                } catch (RuntimeException e) {
                    err.println((terminal ? "\r\n" : "") + "vmtree: " + outcome.detail());
                    throw new CliException(ExitCodes.FAILURE, "cannot save " + r.name() + "'s run: "
                            + ErrorHandler.message(e) + "; the instance stays at its last saved state");
                }
            }
            saved = new Saving(err).save(r.name() + "'s run of " + String.format("%,d", outcome.instructions())
                    + " instructions", life::save, giveUp);
        }
        out.flush();
        String why = switch (outcome.cause()) {
            case POWER_OFF -> "the guest powered off";
            case GUEST_FAULT -> "the guest reported failure " + outcome.guestExitCode();
            case BUDGET -> "the instruction budget ran out";
            case TIMEOUT -> "the timeout passed";
            case DETACH -> "detached";
            case SIGNAL -> signal == 143 ? "SIGTERM" : "SIGINT";
            case IDLE -> "the guest waits for input and none is left";
            case QUIET -> "the input ended and the guest printed nothing for " + Durations.format(quiet)
                    + " of virtual time";
            case STUCK -> "the guest is stuck: " + outcome.detail();
            case UNAVAILABLE -> "a page could not be faulted in: " + outcome.detail() + "; run it again once the remote"
                    + " is back";
        };
        String suspended = "suspended " + r.name() + " after " + String.format("%,d", outcome.instructions())
                + " instructions (" + why + "); state " + saved.working().stateId().shortHex();
        ts.policy().audit(AuditLog.STOP, r.name(), AuditLog.Outcome.OK, suspended);   // the guest's end is in the detail
        if (!Dom0Cli.quiet(spec) || outcome.cause() == StopCause.STUCK || outcome.cause() == StopCause.UNAVAILABLE) {
            err.println((terminal ? "\r\n" : "") + "vmtree: " + suspended);
        }
        Promisor p = ts.repository().promisor();
        if (p != null && p.faulted().chunks() > 0 && !Dom0Cli.quiet(spec)) {
            Promisor.Faulted f = p.faulted();
            err.println("vmtree: faulted in " + f.chunks() + " chunks (" + f.bytes() + " bytes) from remote " + p.name()
                    + " in " + f.requests() + (f.requests() == 1 ? " request" : " requests"));
        }
        return switch (outcome.cause()) {
            case POWER_OFF, DETACH, IDLE, QUIET -> ExitCodes.OK;
            case GUEST_FAULT, STUCK, UNAVAILABLE -> ExitCodes.FAILURE;
            case BUDGET, TIMEOUT -> ExitCodes.BUDGET;
            case SIGNAL -> signal == 143 ? 143 : 130;
        };
    }

    /** Installs a handler for signal {@code name} (see {@link ConsoleSession#handle}); other commands use it too. */
    static sun.misc.SignalHandler handle(String name, Runnable action) {
        return ConsoleSession.handle(name, action);
    }

    static void restore(String name, sun.misc.SignalHandler previous) {
        ConsoleSession.restore(name, previous);
    }

    /** The names {@link MachineDriver.StopCause} values print as (for docs and tests). */
    static String describe(MachineDriver.StopCause c) {
        return c.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
