package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree instance list | add NAME REF | remove NAME | use NAME}: working states at points of the tree. */
@Command(name = "instance", mixinStandardHelpOptions = true,
        description = "Manage instances: working states attached to snapshots, like Git worktrees. Several"
                + " instances may stand at different points of one tree; one is current (-i picks another).",
        subcommands = {InstanceCommand.List.class, InstanceCommand.Add.class, InstanceCommand.Remove.class,
            InstanceCommand.Use.class})
public final class InstanceCommand implements Runnable, JsonOutput {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        new List().print(spec);
    }

    /** Human state of an instance: running (pid), or suspended clean/dirty; a stale lock is mentioned. */
    static String state(Toolstack ts, InstanceRecord r) {
        InstanceLock.Holder h = ts.instances().holder(r.name());
        String base = r.dirty() ? "dirty" : "clean";
        return switch (h) {
            case InstanceLock.Holder.Running run -> (run.serving() ? "served over NBD" : "running") + " (pid " + run.pid()
                    + "), " + base;
            case InstanceLock.Holder.Stale st -> base + " (stale lock of dead pid " + st.pid() + ")";
            case InstanceLock.Holder.Free f -> base;
        };
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List instances: '*' marks the current one; branch (or detached), base snapshot, state.")
    static final class List implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            print(spec);
        }

        void print(CommandSpec spec) {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                String current = ts.instances().currentName().orElse(null);
                var all = ts.instances().list();
                if (Dom0Cli.json(spec)) {
                    Json j = new Json().beginArray();
                    for (InstanceRecord r : all) {
                        InstanceLock.Holder h = ts.instances().holder(r.name());
                        j.beginObject().field("name", r.name()).field("current", r.name().equals(current))
                                .field("branch", r.branch()).field("base", r.base().hex())
                                .field("state", r.currentState() == null ? null : r.currentState().hex())
                                .field("dirty", r.dirty())
                                .name("runningPid").value(h instanceof InstanceLock.Holder.Running run ? run.pid() : -1)
                                .endObject();
                    }
                    Dom0Cli.printJson(spec, j.endArray());
                    return;
                }
                for (InstanceRecord r : all) {
                    Dom0Cli.out(spec).printf("%s %-16s %-20s %s %s%n", r.name().equals(current) ? "*" : " ", r.name(),
                            r.branch() == null ? "(detached)" : r.branch(), r.base().shortHex(), state(ts, r));
                }
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add instance NAME at REF. On a branch name the instance follows that branch (its commits"
                    + " move it); on any other revision, or with --detach, it is detached.")
    static final class Add implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "Name of the new instance.")
        String name;

        @Parameters(index = "1", paramLabel = "REF", description = "Branch, tag or snapshot to start from.")
        String ref;

        @Option(names = "--detach", description = "Do not follow the branch even if REF names one.")
        boolean detach;

        @Option(names = "--use", description = "Make the new instance the current one.")
        boolean use;

        @Override
        public void run() {
            InstanceRecord.checkName(name);
            try (Toolstack ts = Dom0Cli.open(spec)) {
                SnapshotId base = ts.resolve(ref);
                StateId state = ts.machines().machineStateId(base, ref);
                String branch = !detach && ts.refs().branches().stream().anyMatch(b -> b.name().equals(ref)) ? ref : null;
                InstanceRecord r = new InstanceRecord(name, base, branch, state, null, Instant.now());
                try (WriteTransaction tx = ts.beginWrite()) {
                    ts.instances().add(tx, r);
                }
                if (use) {
                    ts.instances().setCurrent(name);
                }
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", name).field("current", use)
                            .field("branch", branch).field("base", base.hex()).field("state", state.hex()).endObject());
                } else {
                    Dom0Cli.say(spec, "instance " + name + " at " + base.shortHex()
                            + (branch == null ? " (detached)" : " on branch " + branch));
                }
            }
        }
    }

    @Command(name = "remove", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Remove an instance. Refused while a process runs it, and for uncommitted state unless"
                    + " --force (the dropped state goes at the next gc). Snapshots and branches stay.")
    static final class Remove implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The instance to remove.")
        String name;

        @Option(names = {"-f", "--force"}, description = "Drop uncommitted state.")
        boolean force;

        @Override
        public void run() {
            try (Toolstack ts = Dom0Cli.open(spec); WriteTransaction tx = ts.beginWrite()) {
                InstanceRecord was = ts.instances().remove(tx, name, force);
                ts.leavingBehind(was, null).ifPresent(w -> spec.commandLine().getErr().println("vmtree: " + w
                        + " (it goes at the next gc)"));
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("removed", name).endObject());
                } else {
                    Dom0Cli.say(spec, "removed instance " + name);
                }
            }
        }
    }

    @Command(name = "use", mixinStandardHelpOptions = true,
            description = "Make NAME the current instance (the one commands act on without -i).")
    static final class Use implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "An existing instance.")
        String name;

        @Override
        public void run() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                ts.instances().setCurrent(name);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("current", name).endObject());
                } else {
                    Dom0Cli.say(spec, "current instance: " + name);
                }
            }
        }
    }
}
