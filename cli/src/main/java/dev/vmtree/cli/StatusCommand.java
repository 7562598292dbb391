package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Instances;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.PageTreeRoot;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree status}: where an instance stands. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the instance's branch (or detached) and whether it is behind it, head snapshot, state"
                + " (running, served over NBD, powered off, suspended, clean or dirty), pages and blocks that differ"
                + " from the head, instructions run since it, and a hint naming the command that saves or moves it.",
            "A commit that a kill interrupted is finished first (see docs/cli.md, \"Instance sessions\").",
            "--json: {instance, current, branch, behind, head, headState, state, running, served, halted, pid,"
                + " dirty, dirtyPages: {IMAGE: n}, instructionsSinceHead, workingState,"
                + " newGenerationPending, migrated: {remote, ref, snapshot, time} or null}.",
            "A damaged instance record is reported as such (state: the damage and how to repair it; --json:"
                + " {instance, current, damaged: REASON}), with status 0."})
public final class StatusCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            InstanceRecord r;
            try {
                ts.recover(instance);
                r = ts.instances().resolve(instance);
            } catch (Instances.DamagedRecordException e) {
                return damaged(ts, e.damaged());
            }
            boolean current = ts.instances().currentName().map(r.name()::equals).orElse(false);
            InstanceLock.Holder holder = ts.instances().holder(r.name());
            InstanceLock.Holder.Running held = holder instanceof InstanceLock.Holder.Running run ? run : null;
            long pid = held != null ? held.pid() : -1;
            boolean served = held != null && held.serving();
            Machines m = ts.machines();
            Map<String, Long> dirty = new LinkedHashMap<>();
            if (r.working() != null) {
                StoredState base = m.snapshotState(r.base());
                for (var e : r.working().images().entrySet()) {
                    if (Machines.isLogImage(e.getKey())) {
                        continue;       // the ReplayLog: not machine pages
                    }
                    PageTreeRoot b = base.images().get(e.getKey());
                    dirty.put(e.getKey(), b == null ? e.getValue().pageCount() : m.differingPages(b, e.getValue(), i -> {}));
                }
            }
            long dirtyTotal = dirty.values().stream().mapToLong(Long::longValue).sum();
            String halted = held != null ? null : m.driver().summarize(m.currentState(r)).halted();
            String cleanOrDirty = r.dirty() ? "dirty" : "clean";
            boolean background = held != null && held.activity() != null
                    && held.activity().startsWith(Background.ACTIVITY_PREFIX);
            String state = held != null ? (served ? "served over NBD" : background ? "running in the background (Dom0"
                    : held.activity() == null || held.activity().equals("run") ? "running"
                    : "held by `vmtree " + held.activity() + "`")
                    + (background ? " pid " + pid + "; `vmtree stop` suspends it)" : " (pid " + pid + ")")
                    : r.retired() ? "migrated to " + r.migratedTo().describe() + " (retired here)"
                    : halted != null ? halted + ", " + cleanOrDirty
                    : r.working() == null ? "clean" : "suspended, " + cleanOrDirty;
            int behind = ts.behind(r);
            long since = Machines.sinceBase(r);
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("instance", r.name()).field("current", current)
                        .field("branch", r.branch());
                if (r.branch() == null) {
                    j.field("behind", (String) null);
                } else {
                    j.field("behind", behind);
                }
                j.field("head", r.base().hex())
                        .field("headState", r.baseState() == null ? null : r.baseState().hex())
                        .field("state", state).field("running", held != null && !served).field("served", served)
                        .field("halted", halted);
                if (pid >= 0) {
                    j.field("pid", pid);
                } else {
                    j.field("pid", (String) null);
                }
                j.field("dirty", r.dirty()).name("dirtyPages").beginObject();
                dirty.forEach(j::field);
                j.endObject().field("instructionsSinceHead", since)
                        .field("workingState", r.currentState() == null ? null : r.currentState().hex())
                        .field("newGenerationPending", r.pendingGeneration() != null);
                if (r.retired()) {
                    InstanceRecord.Migration to = r.migratedTo();
                    j.name("migrated").beginObject().field("remote", to.remote()).field("ref", to.ref())
                            .field("snapshot", to.snapshot().hex()).field("time", to.time().toString()).endObject();
                } else {
                    j.field("migrated", (String) null);
                }
                Dom0Cli.printJson(spec, j.endObject());
                return ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            out.println("instance " + r.name() + (current ? " (current)" : ""));
            String branchHead = r.branch() == null ? null : ts.refs().branchHead(r.branch()).map(h -> h.shortHex())
                    .orElse(null);
            out.println(r.branch() == null ? "HEAD detached at " + r.base().shortHex()
                    : "on branch " + r.branch() + (behind > 0 ? ", behind it by " + behind + " snapshot"
                            + (behind == 1 ? "" : "s") + " (" + r.branch() + " is at " + branchHead + ")"
                    : behind < 0 ? (branchHead == null ? " (the branch no longer exists)"
                            : ", which has moved elsewhere (to " + branchHead + ", not a descendant of the head)") : ""));
            String subject = ts.history().log(java.util.List.of(r.base()), 1).getFirst().subject();
            out.println("head     " + r.base().shortHex() + " " + subject);
            out.println("state    " + state);
            if (r.pendingGeneration() != null) {
                out.println("         (gets a fresh VM generation ID when it next runs)");
            }
            if (r.working() != null) {
                StringBuilder sb = new StringBuilder();
                dirty.forEach((k, v) -> {
                    if (v > 0) {
                        sb.append(sb.isEmpty() ? "" : ", ").append(k).append(' ').append(v);
                    }
                });
                out.println("changed  " + dirtyTotal + " pages/blocks since head" + (sb.isEmpty() ? "" : " (" + sb + ")"));
            }
            out.println("run      " + String.format("%,d", since) + " instructions since head");
            if (r.currentState() != null) {
                out.println("stateid  " + r.currentState().hex());
            }
            String hint = hint(r, current, behind);
            if (hint != null) {
                out.println("hint     " + hint);
            }
            return ExitCodes.OK;
        }
    }

    /** The command that saves or moves the instance from where it stands, or null when there is nothing to do. */
    static String hint(InstanceRecord r, boolean current, int behind) {
        String i = current ? "" : " -i " + r.name();
        if (r.retired()) {
            return "it runs where it went now; `vmtree run" + i + " --force` brings it back here as a copy (new VM"
                    + " generation ID), `vmtree instance remove --force " + r.name() + "` forgets it";
        }
        if (r.dirty()) {
            if (r.branch() == null) {
                return "`vmtree commit" + i + " -m MSG` snapshots it, still detached; `vmtree checkout" + i
                        + " -b NAME` first puts it on a new branch";
            }
            if (behind != 0) {
                return r.branch() + " has moved on, so a commit would leave the instance detached: `vmtree checkout"
                        + i + " -b NAME` first keeps these changes on a new branch (`vmtree checkout" + i
                        + " --discard " + r.branch() + "` drops them)";
            }
            return "`vmtree commit" + i + " -m MSG` snapshots it on " + r.branch();
        }
        if (r.branch() != null && behind != 0) {
            return "`vmtree checkout" + i + " " + r.branch() + "` moves it to the branch's head";
        }
        return null;
    }

    /** A damaged record's status is that it is damaged, and how to repair it: one line, not a failure. */
    private int damaged(Toolstack ts, Instances.Damaged d) {
        boolean current = ts.instances().currentName().map(d.name()::equals).orElse(false);
        if (Dom0Cli.json(spec)) {
            Dom0Cli.printJson(spec, new Json().beginObject().field("instance", d.name()).field("current", current)
                    .field("damaged", d.reason()).endObject());
        } else {
            PrintWriter out = Dom0Cli.out(spec);
            out.println("instance " + d.name() + (current ? " (current)" : ""));
            out.println("state    " + d.describe());
        }
        return ExitCodes.OK;
    }
}
