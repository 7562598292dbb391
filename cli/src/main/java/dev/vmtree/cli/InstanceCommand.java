package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Instances;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.SnapshotId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree instance list | add NAME REF | remove NAME | use NAME | repair NAME}: working states at points of the tree. */
@Command(name = "instance", mixinStandardHelpOptions = true,
        description = "Manage instances: working states attached to snapshots, like Git worktrees. Several"
                + " instances may stand at different points of one tree; one is current (-i picks another).",
        subcommands = {InstanceCommand.List.class, InstanceCommand.Add.class, InstanceCommand.Remove.class,
            InstanceCommand.Use.class, InstanceCommand.Repair.class})
public final class InstanceCommand implements Runnable, JsonOutput {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        new List().print(spec);
    }

    /** Human state of an instance: running (pid), or suspended clean/dirty; a stale lock is mentioned. */
    static String state(Toolstack ts, InstanceRecord r) {
        if (r.retired()) {
            return "migrated to " + r.migratedTo().remote();
        }
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
                var listing = ts.instances().scan();
                var all = listing.sound();
                if (Dom0Cli.json(spec)) {
                    Json j = new Json().beginArray();
                    java.util.Map<String, Instances.Damaged> damaged = new java.util.HashMap<>();
                    listing.damaged().forEach(d -> damaged.put(d.name(), d));
                    java.util.Map<String, InstanceRecord> sound = new java.util.HashMap<>();
                    all.forEach(r -> sound.put(r.name(), r));
                    java.util.SortedSet<String> names = new java.util.TreeSet<>(damaged.keySet());
                    names.addAll(sound.keySet());
                    for (String n : names) {
                        Instances.Damaged d = damaged.get(n);
                        if (d != null) {
                            j.beginObject().field("name", n).field("current", n.equals(current))
                                    .field("damaged", d.reason()).endObject();
                            continue;
                        }
                        InstanceRecord r = sound.get(n);
                        InstanceLock.Holder h = ts.instances().holder(r.name());
                        j.beginObject().field("name", r.name()).field("current", r.name().equals(current))
                                .field("branch", r.branch()).field("base", r.base().hex())
                                .field("state", r.currentState() == null ? null : r.currentState().hex())
                                .field("dirty", r.dirty())
                                .name("runningPid").value(h instanceof InstanceLock.Holder.Running run ? run.pid() : -1)
                                .field("migratedTo", r.retired() ? r.migratedTo().remote() : null)
                                .endObject();
                    }
                    Dom0Cli.printJson(spec, j.endArray());
                    return;
                }
                java.util.Map<String, String> rows = new java.util.TreeMap<>();
                for (InstanceRecord r : all) {
                    rows.put(r.name(), String.format("%s %-16s %-20s %s %s", r.name().equals(current) ? "*" : " ", r.name(),
                            r.branch() == null ? "(detached)" : r.branch(), r.base().shortHex(), state(ts, r)));
                }
                for (Instances.Damaged d : listing.damaged()) {
                    rows.put(d.name(), String.format("%s %-16s damaged record (%s): `vmtree instance repair %s`",
                            d.name().equals(current) ? "*" : " ", d.name(), d.reason(), d.name()));
                }
                rows.values().forEach(Dom0Cli.out(spec)::println);
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add instance NAME at REF. On a branch name the instance follows that branch (its commits"
                    + " move it); on any other revision, or with --detach, it is detached. Its first run gives it a new"
                    + " VM generation ID (another machine from one snapshot).",
                "A migration snapshot (REMOTE/migrations/INSTANCE after `vmtree fetch REMOTE`, see `vmtree migrate`)"
                    + " resumes the instance that was moved: at its base, with its working state, ReplayLog and"
                    + " instruction count, its StateId and its VM generation ID; on the branch it was on when that"
                    + " branch is here at its base and not --detach. If another instance here has that generation ID"
                    + " already, NAME is a copy and gets a new one (with a notice).",
                "--json: {name, current, branch, base, state, migrated}."})
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
                InstanceRecord r = ts.addInstance(name, ref, detach);
                String branch = r.branch();
                SnapshotId base = r.base();
                StateId state = r.currentState();
                boolean migrated = r.working() != null;     // a new instance has a working state only when resumed
                if (use) {
                    ts.instances().setCurrent(name);
                }
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", name).field("current", use)
                            .field("branch", branch).field("base", base.hex()).field("state", state.hex())
                            .field("migrated", migrated).endObject());
                } else {
                    Dom0Cli.say(spec, (migrated ? "resumed migrated instance " : "instance ") + name + " at "
                            + base.shortHex() + (branch == null ? " (detached)" : " on branch " + branch)
                            + (migrated ? ", state " + state.shortHex() + (r.pendingGeneration() == null
                            ? "" : "; it gets a VM generation ID at its next run") : ""));
                }
            }
        }
    }

    @Command(name = "remove", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Remove an instance. Refused while a process runs it, and for uncommitted state unless"
                    + " --force (the dropped state goes at the next gc); a damaged record counts as uncommitted state."
                    + " Snapshots and branches stay.")
    static final class Remove implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The instance to remove.")
        String name;

        @Option(names = {"-f", "--force"}, description = "Drop uncommitted state (or a damaged record).")
        boolean force;

        @Override
        public void run() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                ts.removeInstance(name, force).flatMap(was -> ts.leavingBehind(was, null)).ifPresent(w ->
                        spec.commandLine().getErr().println("vmtree: " + w + " (it goes at the next gc)"));
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("removed", name).endObject());
                } else {
                    Dom0Cli.say(spec, "removed instance " + name);
                }
            }
        }
    }

    @Command(name = "repair", mixinStandardHelpOptions = true,
            description = {"Rewrite a damaged instance record (one `instance list` and fsck report as damaged), as"
                    + " rebuilding a corrupt Git index from HEAD: at REF with --to (a branch name is followed, as by"
                    + " checkout), else at the base snapshot the instance's gc root names, on the branch the damaged"
                    + " record names if that branch exists and reaches that base, otherwise detached.",
                "A working state cannot be trusted from a damaged record: if it had one, --discard is needed and"
                    + " that state is dropped (status 5 without it). A sound record is refused: use checkout."})
    static final class Repair implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The instance whose record is damaged.")
        String name;

        @Option(names = "--to", paramLabel = "REF", description = "Where to point it (default: where its gc root says it stood).")
        String to;

        @Option(names = "--discard", description = "Drop the uncommitted state the damaged record held.")
        boolean discard;

        @Override
        public void run() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                InstanceRecord r = ts.repairInstance(name, to, discard);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("instance", r.name())
                            .field("snapshot", r.base().hex()).field("branch", r.branch())
                            .field("state", r.baseState().hex()).endObject());
                } else {
                    Dom0Cli.say(spec, "repaired instance " + r.name() + ": at " + r.base().shortHex()
                            + (r.branch() == null ? " (detached)" : " on branch " + r.branch()));
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
