package dev.vmtree.cli;


import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.loader.LoadException;
import dev.vmtree.dom0.Durations;
import dev.vmtree.dom0.MachineDriver.RunOutcome;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.rv64.CoreRun;
import dev.vmtree.dom0.rv64.SwitchableConsole;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree exec}: runs one program on a fresh machine with no repository, console on
 * stdin/stdout, and reports how the guest ended through the exit status — what {@code spike} or
 * {@code qemu -kernel} are to guest developers, and what the guest test suites use.
 */
@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        description = {"Run a RISC-V program (ELF or raw binary) on a fresh machine, console on stdin/stdout."
                + " By default the hypervisor serves SBI and the program starts in S-mode with a0 = hart id and"
                + " a1 = the device tree; with --m-mode it starts in M-mode on bare hardware.",
            "The console is that of `vmtree run`: output appears as the guest writes it (flushed at every newline"
                + " and within milliseconds otherwise, and on every way out, SIGINT and SIGTERM included); on a"
                + " terminal every key, Ctrl-C included, goes to the guest and Ctrl-] quits; otherwise standard"
                + " input is read as the guest asks for it, and only its end is the end of input. A hart that"
                + " takes the same exception at its own trap vector again and again (no trap handler) stops the"
                + " run."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the guest shut down cleanly (SBI SRST shutdown or reboot, HTIF tohost = 1)",
            "1:the guest reported failure (SRST system failure, HTIF tohost != 1: prints FAIL: test N),"
                    + " every hart waits for an interrupt nothing can raise (standard input ended), the guest was"
                    + " silent for --idle after its input ended, or a hart is stuck trapping at its own trap"
                    + " vector (the message names the hart, the cause and the instruction count)",
            "2:usage error, or a value out of range (--memory, --harts, --max-instructions, --engine)",
            "3:the instruction budget (--max-instructions) ran out",
            "4:vmtree could not run the program (unreadable or malformed file, not a regular file, a program too"
                    + " big for RAM, ...)",
            "130:SIGINT, or Ctrl-] on a terminal; 143: SIGTERM (guest output flushed first)"
        })
public final class ExecCommand implements java.util.concurrent.Callable<Integer> {
    static final int EXIT_SHUTDOWN = 0, EXIT_GUEST_FAILURE = 1, EXIT_BUDGET = 3, EXIT_CANNOT_RUN = 4,
            EXIT_INTERRUPTED = 130;

    @Spec
    CommandSpec spec;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "128M",
            description = "RAM size: bytes or a number with K, M or G (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--harts", paramLabel = "N", defaultValue = "1",
            description = "Number of harts (default: ${DEFAULT-VALUE}); in hypervisor mode only hart 0 starts.")
    int harts;

    @Option(names = "--m-mode", description = "Start in M-mode at the entry with no SBI, as on bare hardware.")
    boolean machineMode;

    @Option(names = "--firmware", paramLabel = "FILE",
            description = "Load this M-mode firmware (e.g. OpenSBI fw_dynamic.elf) and run PROGRAM as its"
                    + " S-mode payload; a2 points at an fw_dynamic_info record.")
    Path firmware;

    @Option(names = "--initrd", paramLabel = "FILE",
            description = "Place this file high in RAM and name it in the device tree's /chosen node.")
    Path initrd;

    @Option(names = "--append", paramLabel = "ARGS", defaultValue = "",
            description = "Kernel command line (/chosen bootargs).")
    String append;

    @Option(names = "--max-instructions", paramLabel = "N",
            description = "Stop with status 3 after N instructions of the global clock (0: run none; default: no"
                    + " limit).")
    Long maxInstructions;

    @Parameters(paramLabel = "PROGRAM", description = "The program: an ELF64 RISC-V executable or a raw binary.")
    Path program;

    @Option(names = "--idle", paramLabel = "DURATION",
            description = "Once standard input has ended and the guest has taken it all, stop with status 1 when the"
                    + " guest has printed nothing while its harts waited for this much virtual time (derived from"
                    + " instruction counts, so the moment is the same on every run; default: never).")
    String idle;

    @Mixin
    EngineOption engineOption;

    @Override
    public Integer call() {
        dev.vmtree.dom0.EngineChoice choice = engineOption.choose(spec);
        long memBytes = MachineValues.memory("--memory", memory);
        MachineValues.harts("--harts", harts);
        long budget = MachineValues.budget("--max-instructions", maxInstructions);
        Duration quiet = idle == null ? null : Durations.parse(idle);
        boolean mMode = machineMode || firmware != null;
        MachineConfig config;
        try {
            // no repository, no replay: the real-time clock starts at the host's time, as QEMU's does
            config = new MachineConfig(memBytes, harts, mMode, append)
                    .withClockBase(java.time.Instant.now().toEpochMilli() * 1_000_000L);
        } catch (IllegalArgumentException e) {
            throw new CliException(EXIT_CANNOT_RUN, e.getMessage());
        }
        dev.vmtree.dom0.HostMemory.checkGuestRam(memBytes);     // CANNOT_RUN (4) before the guest touches the heap
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SwitchableConsole console = new SwitchableConsole();
        Machine machine;
        try {
            Boot.Images images = new Boot.Images(MachineValues.readProgram("program", program, memBytes),
                    program.toString(),
                    firmware == null ? null : MachineValues.readProgram("firmware", firmware, memBytes),
                    firmware == null ? null : firmware.toString(),
                    initrd == null ? null : MachineValues.readRamImage("initrd", initrd, memBytes),
                    initrd == null ? null : initrd.toString());
            machine = Boot.boot(config, console, images);
            machine.setEngine(dev.vmtree.core.cpu.Engine.parse(choice.engine()));
            EngineOption.announce(spec, new dev.vmtree.dom0.EngineChoice(machine.engine().label(), choice.source()));
            machine.initializeGenerationId(dev.vmtree.dom0.GenerationId.random().bytes());
        } catch (LoadException e) {
            throw new CliException(EXIT_CANNOT_RUN, e.getMessage());
        }
        CoreRun runner = new CoreRun(machine, console);
        RunOutcome outcome;
        boolean terminal;
        int signal;
        // the console of `run`: this terminal in character mode, or standard input until it ends
        try (ConsoleSession session = ConsoleSession.open(out, null, null, runner::requestStop)) {
            terminal = session.terminal();
            if (terminal && !Dom0Cli.quiet(spec)) {
                err.println("vmtree: running " + program.getFileName() + " (" + TerminalConsole.DETACH_NAME
                        + " quits)\r");
                err.flush();
            }
            outcome = runner.run(budget, quiet, session.console());
            signal = session.signalStatus();
        }
        out.flush();
        String nl = terminal ? "\r\n" : "";
        return switch (outcome.cause()) {
            case POWER_OFF -> EXIT_SHUTDOWN;
            case GUEST_FAULT -> {
                if (machine.bus().watchedPage() >= 0) {
                    out.println("FAIL: test " + outcome.guestExitCode());
                } else {
                    err.println(nl + "vmtree: guest reported system failure (SRST reason " + outcome.guestExitCode() + ")");
                }
                out.flush();
                yield EXIT_GUEST_FAILURE;
            }
            case IDLE -> {
                err.println(nl + "vmtree: guest halted: every hart waits for an interrupt nothing can raise");
                yield EXIT_GUEST_FAILURE;
            }
            case QUIET -> {
                err.println(nl + "vmtree: the input ended and the guest printed nothing for " + Durations.format(quiet)
                        + " of virtual time; stopped after " + String.format("%,d", machine.instructions())
                        + " instructions");
                yield EXIT_GUEST_FAILURE;
            }
            case STUCK -> {
                err.println(nl + "vmtree: " + outcome.detail());
                yield EXIT_GUEST_FAILURE;
            }
            case BUDGET -> {
                err.println(nl + "vmtree: instruction budget of " + maxInstructions + " exhausted");
                yield EXIT_BUDGET;
            }
            case DETACH -> {
                err.println(nl + "vmtree: quit (" + TerminalConsole.DETACH_NAME + ") after "
                        + String.format("%,d", machine.instructions()) + " instructions");
                yield EXIT_INTERRUPTED;
            }
            case SIGNAL -> {
                err.println(nl + "vmtree: stopped by " + (signal == 143 ? "SIGTERM" : "SIGINT") + " after "
                        + String.format("%,d", machine.instructions()) + " instructions");
                yield signal == 143 ? 143 : EXIT_INTERRUPTED;
            }
            case TIMEOUT -> throw new IllegalStateException("exec sets no timeout");
            case UNAVAILABLE -> throw new IllegalStateException("exec's machine is stored nowhere: it faults no page in");
        };
    }
}
