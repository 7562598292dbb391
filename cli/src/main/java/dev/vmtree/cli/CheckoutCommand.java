package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Toolstack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree checkout REF | -b NAME [START]}. */
@Command(name = "checkout", mixinStandardHelpOptions = true,
        description = {"Point the instance at a snapshot: on a branch name it follows that branch, on anything else"
                + " it is detached. With -b, create branch NAME at START (default: the instance's base) first.",
            "Refuses to drop uncommitted state unless --discard, and a running instance. Nothing of the machine"
                + " is read: pages are faulted in by the next run, so this is O(1) in RAM size."})
public final class CheckoutCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = "-b", paramLabel = "NAME", description = "Create branch NAME and check it out.")
    String newBranch;

    @Option(names = "--discard", description = "Drop the instance's uncommitted state.")
    boolean discard;

    @Option(names = "--new-generation", description = "Give the machine a fresh VM generation ID when it next runs,"
            + " as if it were a copy (the guest reseeds its random number generator). Without it the machine keeps"
            + " its ID: the same machine going back, not a new one (docs/security.md, \"Clones\").")
    boolean newGeneration;

    @Parameters(arity = "0..1", paramLabel = "REF", description = "Branch, tag or snapshot (with -b: START).")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            InstanceRecord r;
            if (newBranch != null) {
                r = ts.checkoutNewBranch(instance, newBranch, ref, discard);
            } else if (ref == null) {
                throw new CliException(ExitCodes.USAGE, "checkout needs REF, or -b NAME [START]");
            } else {
                r = ts.checkout(instance, ref, discard);
            }
            if (newGeneration) {
                r = ts.machines().renewGeneration(r.name());
            }
            print(spec, r, "now at");
            return ExitCodes.OK;
        }
    }

    static void print(CommandSpec spec, InstanceRecord r, String verb) {
        if (Dom0Cli.json(spec)) {
            Dom0Cli.printJson(spec, new Json().beginObject().field("instance", r.name()).field("snapshot", r.base().hex())
                    .field("branch", r.branch()).field("state", r.baseState() == null ? null : r.baseState().hex())
                    .endObject());
        } else {
            Dom0Cli.say(spec, "instance " + r.name() + " " + verb + " " + r.base().shortHex()
                    + (r.branch() == null ? " (detached)" : " (branch " + r.branch() + ")"));
        }
    }
}
