package dev.vmtree.cli;

import dev.vmtree.dom0.Refs;
import dev.vmtree.dom0.Toolstack;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree branch [NAME [START]] | -d NAME | -D NAME | -m [OLD] NEW | -c [OLD] NEW}. */
@Command(name = "branch", mixinStandardHelpOptions = true,
        description = {"List branches ('*' marks the current instance's branch), create one at START"
                + " (default HEAD: the current instance's base), delete, rename or copy one.",
            "A branch an instance is on cannot be deleted; one whose snapshots nothing else reaches only with -D.",
            "-m and -c keep the branch's whole reflog under the new name (as git does), so what it kept from gc stays"
                + " kept; -m moves the instances on the branch, -c leaves them where they are."})
public final class BranchCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Mode mode;

    static final class Mode {
        @Option(names = "-d", paramLabel = "NAME", description = "Delete branch NAME.")
        String delete;

        @Option(names = "-D", paramLabel = "NAME", description = "Delete branch NAME even if nothing else reaches its snapshots.")
        String forceDelete;

        @Option(names = "-m", arity = "1..2", paramLabel = "NAME", description = "Rename branch [OLD] to NEW, with its"
                + " reflog (OLD defaults to the current instance's branch).")
        String[] rename;

        @Option(names = "-c", arity = "1..2", paramLabel = "NAME", description = "Copy branch [OLD] to NEW, with its"
                + " reflog (OLD defaults to the current instance's branch).")
        String[] copy;
    }

    @Option(names = "--force", description = "With -d, -D or -m: change a protected branch (refs.protect);"
            + " the audit log records it.")
    boolean force;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Branch to create.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "START", description = "Where it starts (default HEAD).")
    String start;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            if (mode != null && name != null) {
                throw new CliException(ExitCodes.USAGE, "-d, -D, -m and -c take no further NAME");
            }
            if (mode != null && (mode.delete != null || mode.forceDelete != null)) {
                String n = mode.delete != null ? mode.delete : mode.forceDelete;
                var was = ts.refs().deleteBranch(n, mode.forceDelete != null, force);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", n).field("deleted", was.hex()).endObject());
                } else {
                    Dom0Cli.say(spec, "deleted branch " + n + " (was " + was.shortHex() + ")");
                }
            } else if (mode != null && mode.copy != null) {
                String[] names = oldAndNew(ts, mode.copy);
                var head = ts.refs().copyBranch(names[0], names[1]);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", names[1]).field("head", head.hex())
                            .field("copiedFrom", names[0]).endObject());
                } else {
                    Dom0Cli.say(spec, "copied branch " + names[0] + " to " + names[1]);
                }
            } else if (mode != null) {
                String[] names = oldAndNew(ts, mode.rename);
                ts.refs().renameBranch(names[0], names[1], force);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", names[1])
                            .field("head", ts.refs().branchHead(names[1]).map(h -> h.hex()).orElse(null))
                            .field("renamedFrom", names[0]).endObject());
                } else {
                    Dom0Cli.say(spec, "renamed branch " + names[0] + " to " + names[1]);
                }
            } else if (name != null) {
                Refs.Branch b = ts.refs().createBranch(name, start);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", name).field("head", b.head().hex())
                            .endObject());
                } else {
                    Dom0Cli.say(spec, "branch " + name + " at " + b.head().shortHex());
                }
            } else {
                list(ts);
            }
            return 0;
        }
    }

    /** {@code -m/-c [OLD] NEW}: OLD defaults to the current instance's branch, as git's to the current branch. */
    private static String[] oldAndNew(Toolstack ts, String[] given) {
        if (given.length > 2) {
            throw new CliException(ExitCodes.USAGE, "-m and -c take [OLD] NEW, once");
        }
        if (given.length == 2) {
            return given;
        }
        var cur = ts.instances().current();
        if (cur.branch() == null) {
            throw new CliException(ExitCodes.FAILURE, "instance " + cur.name() + " is detached (on no branch); name the"
                    + " branch: vmtree branch -m OLD NEW");
        }
        return new String[] {cur.branch(), given[0]};
    }

    private void list(Toolstack ts) {
        var branches = ts.refs().branches();
        var listing = ts.instances().scan();
        Dom0Cli.warnDamaged(spec, listing.damaged());     // their instances are missing from the lists below
        String current = ts.instances().currentName().orElse(null);
        String mine = listing.sound().stream().filter(r -> r.name().equals(current)).map(r -> r.branch())
                .findFirst().orElse(null);
        if (Dom0Cli.json(spec)) {
            Json j = new Json().beginArray();
            for (Refs.Branch b : branches) {
                j.beginObject().field("name", b.name()).field("head", b.head().hex())
                        .field("current", b.name().equals(mine)).name("instances").beginArray();
                b.instances().forEach(j::value);
                j.endArray().endObject();
            }
            Dom0Cli.printJson(spec, j.endArray());
            return;
        }
        for (Refs.Branch b : branches) {
            Dom0Cli.out(spec).printf("%s %-20s %s%s%n", b.name().equals(mine) ? "*" : " ", b.name(), b.head().shortHex(),
                    b.instances().isEmpty() ? "" : "  [" + String.join(", ", b.instances()) + "]");
        }
    }
}
