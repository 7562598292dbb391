package dev.vmtree.cli;

import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree debug [REF | -i INSTANCE] --gdb [HOST:]PORT}: a reproducible debugging session. */
@Command(name = "debug", mixinStandardHelpOptions = true,
        description = {"Debug a machine state with gdb: serve the GDB remote serial protocol for REF (or, without"
                + " REF, for the instance's current state) on HOST:PORT, 127.0.0.1 unless a host is given; port 0"
                + " picks a free one. The first line printed is the address to give gdb's `target remote`.",
            "The session has registers (with a target description), memory, software and hardware breakpoints,"
                + " write watchpoints, step, continue, and reverse execution: reverse-stepi and reverse-continue"
                + " restore the nearest automatic checkpoint (a copy-on-write capture every --checkpoint-interval"
                + " instructions) and run forward again, so every moment of the session can be revisited exactly.",
            "Debugging changes nothing stored: the session works on the machine in memory and ends when gdb"
                + " detaches, kills or disconnects. To keep a moment, ask gdb for its instruction count (`monitor"
                + " icount`) and use `vmtree replay REF --until N --to-instance NAME`. See docs/debug.md."},
        footer = {"", "Examples:", "  vmtree debug main --gdb 0", "  vmtree debug -i probe --gdb 127.0.0.1:1234",
            "  gdb-multiarch guests/bin/kvshell.elf -ex 'target remote 127.0.0.1:1234'"})
public final class DebugCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF",
            description = "The snapshot to debug (default: the instance's current state).")
    String ref;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "Without REF: this instance (default: the current one).")
    String instance;

    @Option(names = "--gdb", paramLabel = "[HOST:]PORT", required = true,
            description = "Where to listen for gdb (HOST defaults to 127.0.0.1; port 0 picks a free port).")
    String gdb;

    @Option(names = "--replay", description = "Start at REF's parent and give the machine REF's ReplayLog (its"
            + " console and entropy input at their instruction counts): the session re-lives how REF came to be, so a"
            + " breakpoint on code that the logged input reaches (a syscall handler a typed command calls) is hit.")
    boolean replay;

    @Option(names = "--checkpoint-interval", paramLabel = "N", defaultValue = "1048576",
            description = "Instructions between automatic checkpoints for reverse execution (default: ${DEFAULT-VALUE}).")
    long checkpointInterval;

    @Mixin
    EngineOption engineOption;

    @Override
    public Integer call() {
        Endpoint at = Endpoint.parse("--gdb", gdb);
        if (checkpointInterval < 1) {
            throw new CliException(ExitCodes.USAGE, "--checkpoint-interval must be positive: " + checkpointInterval);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        at.warnIfReachable(err, "--gdb", "gdb stub", "can read and change the guest's memory and registers");
        try (Toolstack ts = engineOption.open(spec)) {
            Machines machines = ts.machines();
            StoredState state;
            String what;
            StoredState logged = null;
            if (replay) {
                if (ref == null) {
                    throw new CliException(ExitCodes.USAGE, "--replay needs REF: the snapshot whose making to re-live");
                }
                dev.vmtree.dom0.Replays.Origin origin = ts.replays().origin(ref);
                state = Machines.withoutLog(origin.parent());     // the parent's own log is not replayed: not read
                logged = origin.state();
                what = ref + " from its parent, replaying its log";
            } else {
                Machines.Located located = machines.locate(ref, instance);
                state = located.state();
                what = located.label();
            }
            boolean quiet = Dom0Cli.quiet(spec);
            MachineDriver.Console console = new MachineDriver.Console() {
                @Override
                public int poll() {
                    return END;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    out.print(new String(b, off, len, java.nio.charset.StandardCharsets.ISO_8859_1));
                }

                @Override
                public void flush() {
                    out.flush();
                }
            };
            try (LiveMachine m = machines.open(state)) {
                machines.driver().debug(ts.repository(), m, logged, at.host(), at.port(), checkpointInterval, console, address -> {
                    out.println("gdb: target remote " + address.getAddress().getHostAddress() + ":" + address.getPort());
                    out.flush();
                    if (!quiet) {
                        err.println("vmtree: debugging " + what + "; waiting for gdb");
                        err.flush();
                    }
                }, line -> {
                    if (!quiet) {
                        err.println("vmtree: " + line);
                        err.flush();
                    }
                });
            }
            return ExitCodes.OK;
        }
    }
}
