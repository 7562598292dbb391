package dev.vmtree.cli;

import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree commit -m MSG}: snapshot the working state. */
@Command(name = "commit", mixinStandardHelpOptions = true,
        description = {"Snapshot the instance's working state. Its parent is the snapshot the state came from (the"
                + " instance's base), and the instance's branch moves to it. An unchanged state commits nothing.",
            "If the branch has moved on since the base (another instance committed on it), the snapshot is still"
                + " made and the instance is left detached on it (`vmtree status` says so beforehand).",
            "A commit killed after moving the branch is finished by the next command on the instance.",
            "An instance running in the background (`vmtree start`) is committed by Dom0 while it runs: the guest"
                + " waits only while its state is captured.",
            "--json: {instance, snapshot: id|null, created, branch: s|null, state}."})
public final class CommitCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", required = true, description = "The snapshot message.")
    String message;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            String name = Background.instanceName(ts, instance);
            if (Background.runsInBackground(ts, name)) {
                return commitRunning(ts, name);
            }
            Machines.Committed c = ts.machines().commit(instance, message);
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("instance", c.instance().name())
                        .field("snapshot", c.snapshot() == null ? null : c.snapshot().hex())
                        .field("created", c.snapshot() != null).field("branch", c.instance().branch())
                        .field("state", c.instance().baseState() == null ? null : c.instance().baseState().hex());
                Dom0Cli.printJson(spec, j.endObject());
            } else if (c.snapshot() == null) {
                Dom0Cli.say(spec, c.notice());
            } else {
                String where = c.instance().branch() != null ? c.instance().branch() : "detached";
                Dom0Cli.say(spec, "[" + where + " " + c.snapshot().shortHex() + "] " + message.lines().findFirst().orElse(""));
                if (c.notice() != null) {
                    spec.commandLine().getErr().println("vmtree: " + c.notice());
                }
            }
            return ExitCodes.OK;
        }
    }

    /** A background instance is committed by Dom0, which holds it: the guest waits only while its state is captured. */
    private int commitRunning(Toolstack ts, String name) {
        try (var c = BackgroundCommands.daemonRunning(ts, name)) {
            var reply = c.call(dev.vmtree.dom0.service.Json.object("op", "commit", "instance", name, "message", message));
            Object snapshot = reply.get("snapshot");
            Object branch = reply.get("branch");
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("instance", name)
                        .field("snapshot", snapshot == null ? null : snapshot.toString())
                        .field("created", snapshot != null).field("branch", branch == null ? null : branch.toString())
                        .field("running", true).field("pauseMicros", (Long) reply.get("pauseMicros"))
                        .field("totalMicros", (Long) reply.get("totalMicros"));
                Dom0Cli.printJson(spec, j.endObject());
            } else if (snapshot == null) {
                Dom0Cli.say(spec, String.valueOf(reply.get("notice")));
            } else {
                String where = branch != null ? branch.toString() : "detached";
                Dom0Cli.say(spec, "[" + where + " " + snapshot.toString().substring(0, 12) + "] "
                        + message.lines().findFirst().orElse("") + " (running; guest paused "
                        + String.format("%.1f", (Long) reply.get("pauseMicros") / 1000.0) + " ms)");
                if (reply.get("notice") != null) {
                    spec.commandLine().getErr().println("vmtree: " + reply.get("notice"));
                }
            }
            return ExitCodes.OK;
        }
    }
}
