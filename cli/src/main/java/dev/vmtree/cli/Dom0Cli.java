package dev.vmtree.cli;

import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;

/** What the Dom0 commands share: the toolstack for -C, the global flags, and the output writers. */
final class Dom0Cli {
    private Dom0Cli() {}

    static VmtreeCommand root(CommandSpec spec) {
        return (VmtreeCommand) spec.root().userObject();
    }

    /** Opens the toolstack on the repository found from -C or the current directory. */
    static Toolstack open(CommandSpec spec) {
        return attach(spec, Toolstack.open(root(spec).workingDirectory()));
    }

    /** Sends a toolstack's notices to stderr and gives it the command's progress line; returns it. */
    static Toolstack attach(CommandSpec spec, Toolstack ts) {
        PrintWriter err = spec.commandLine().getErr();
        ts.setNotices(m -> err.println("vmtree: " + m));
        ts.setProgress(TerminalProgress.forCommand(err, quiet(spec), json(spec), root(spec)::interactive));
        return ts;
    }

    static boolean json(CommandSpec spec) {
        return root(spec).json;
    }

    /** {@code --debug} or VMTREE_DEBUG=1: stack traces with errors, and which engine runs the guest. */
    static boolean debug(CommandSpec spec) {
        return root(spec).debug || root(spec).debugFromEnvironment();
    }

    static boolean quiet(CommandSpec spec) {
        return root(spec).quiet;
    }

    static PrintWriter out(CommandSpec spec) {
        return spec.commandLine().getOut();
    }

    /** Prints a human line unless -q. */
    static void say(CommandSpec spec, String line) {
        if (!quiet(spec)) {
            out(spec).println(line);
        }
    }

    /** One warning line on stderr per damaged instance record a read-only view went past. */
    static void warnDamaged(CommandSpec spec, java.util.List<dev.vmtree.dom0.Instances.Damaged> damaged) {
        for (var d : damaged) {
            spec.commandLine().getErr().println("vmtree: warning: instance " + d.name() + " left out: " + d.describe());
        }
    }

    /** The current instance's record, or empty when there is none or it is damaged (then warned about once). */
    static java.util.Optional<dev.vmtree.dom0.InstanceRecord> currentOrWarn(CommandSpec spec, Toolstack ts) {
        try {
            return ts.instances().currentName().map(ts.instances()::get);
        } catch (dev.vmtree.dom0.Instances.DamagedRecordException e) {
            warnDamaged(spec, java.util.List.of(e.damaged()));
            return java.util.Optional.empty();
        }
    }

    static void printJson(CommandSpec spec, Json json) {
        out(spec).println(json);
    }
}
