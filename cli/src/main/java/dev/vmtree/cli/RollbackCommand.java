package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Toolstack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree rollback [REF | ~N]}. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = {"Move the instance and its branch back to an earlier snapshot (default ~1: the base's"
                + " parent; ~N counts from the instance's base). What was dropped stays in the branch's reflog"
                + " (`vmtree reflog BRANCH`) until gc.",
            "Refuses to drop uncommitted state unless --discard, and a running instance."})
public final class RollbackCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = "--discard", description = "Drop the instance's uncommitted state.")
    boolean discard;

    @Option(names = "--new-generation", description = "Give the machine a fresh VM generation ID when it next runs,"
            + " as if it were a copy (the guest reseeds its random number generator). Without it the machine keeps"
            + " its ID: the same machine going back, not a new one (docs/security.md, \"Clones\").")
    boolean newGeneration;

    @Option(names = "--force", description = "Move a protected branch (refs.protect) back; the audit log records it.")
    boolean force;

    @Parameters(arity = "0..1", paramLabel = "REF", description = "Where to go: a snapshot, or ~N (default ~1).")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            InstanceRecord r = ts.rollback(instance, ref, discard, force);
            if (newGeneration) {
                r = ts.machines().renewGeneration(r.name());
            }
            CheckoutCommand.print(spec, r, "rolled back to");
            return ExitCodes.OK;
        }
    }
}
