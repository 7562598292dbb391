package dev.vmtree.cli;

import dev.vmtree.dom0.EngineChoice;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Client;
import dev.vmtree.dom0.service.Json;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The lifecycle commands of background instances, each a thin client of the repository's Dom0
 * daemon (docs/dom0-protocol.md): {@code start}, {@code stop}, {@code pause}, {@code resume}.
 */
final class BackgroundCommands {
    private BackgroundCommands() {}

    /** Prints a reply: the human line, or with --json the reply itself (less "ok"). */
    static void print(CommandSpec spec, Map<String, Object> reply, String line) {
        if (Dom0Cli.json(spec)) {
            Map<String, Object> copy = new java.util.LinkedHashMap<>(reply);
            copy.remove("ok");
            Dom0Cli.out(spec).println(Json.write(copy));
        } else {
            Dom0Cli.say(spec, line);
        }
    }

    /** The daemon when it runs instance {@code name}, else a FAILED "not running in the background". */
    static Dom0Client daemonRunning(Toolstack ts, String name) {
        Optional<Dom0Client> c = Background.connect(ts);
        if (c.isEmpty()) {
            throw new CliException(ExitCodes.FAILURE, "instance " + name + " is not running in the background"
                    + " (no Dom0 runs for this repository; start it with `vmtree start -i " + name + "`)");
        }
        return c.get();
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Run an instance in the background, from where it stands (its working state, else its base"
                    + " snapshot), supervised by the repository's Dom0 daemon, which this command starts when none"
                    + " runs (it ends by itself when no instance runs). The instance is held while it runs: commands"
                    + " that would change it refuse (status 6) except `commit`, which snapshots it running.",
                "See it with `vmtree ps`, its console with `vmtree attach` and `vmtree logs`; `vmtree stop` suspends"
                    + " it to its working state (the next start or run continues exactly there).",
                "Limits from `vmtree config` (dom0.maxInstances, dom0.maxMemory) can refuse it (status 1), and so is an"
                    + " instance that `vmtree migrate` moved elsewhere, unless --force.",
                "--json: {instance, state, pid}."},
            footer = {"", "Examples:", "  vmtree start", "  vmtree start -i web --engine translator"})
    static final class Start implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
        String instance;

        @Option(names = "--force", description = "Start an instance that `vmtree migrate` retired: it runs here again"
                + " as a copy of the machine that went elsewhere, with a new VM generation ID.")
        boolean force;

        @picocli.CommandLine.Mixin
        EngineOption engineOption;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                String name = Background.instanceName(ts, instance);
                EngineChoice engine = EngineChoice.choose(engineOption.engine, ts.settings());
                EngineOption.announce(spec, engine);
                try (Dom0Client c = Background.connectOrSpawn(ts)) {
                    Map<String, Object> reply = c.call(Json.object("op", "start", "instance", name,
                            "engine", engine.engine(), "engineSource", engine.source(), "force", force));
                    print(spec, reply, "vmtree: started " + reply.get("instance") + " in the background at state "
                            + String.valueOf(reply.get("state")).substring(0, 12) + " (Dom0 pid " + reply.get("pid") + ")");
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = {"Suspend a background instance to its working state and end its run: the guest is stopped"
                    + " between two instructions (nothing it does can delay that), its state saved, the instance"
                    + " released. The next `vmtree start` or `vmtree run` continues exactly there.",
                "Waits at most --timeout for the save; a save still going then finishes in Dom0 (status 1 says so).",
                "--json: {instance, state, why, saved}."},
            footer = {"", "Examples:", "  vmtree stop", "  vmtree stop -i web"})
    static final class Stop implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
        String instance;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
                description = "How long to wait for the state to be saved (default: ${DEFAULT-VALUE}).")
        String timeout;

        @Override
        public Integer call() {
            long millis = dev.vmtree.dom0.Durations.parse(timeout).toMillis();
            try (Toolstack ts = Dom0Cli.open(spec)) {
                String name = Background.instanceName(ts, instance);
                try (Dom0Client c = daemonRunning(ts, name)) {
                    Map<String, Object> reply = c.call(Json.object("op", "stop", "instance", name, "timeoutMillis", millis));
                    Object state = reply.get("state");
                    print(spec, reply, "vmtree: stopped " + name + "; state "
                            + (state == null ? "not saved: " + reply.get("why") : state.toString().substring(0, 12)));
                    return Boolean.TRUE.equals(reply.get("saved")) ? ExitCodes.OK : ExitCodes.FAILURE;
                }
            }
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = {"Freeze a background instance in place: its guest stops between two instructions and its"
                    + " virtual clock with it; it stays in memory, held, until `vmtree resume` (or `vmtree stop`).",
                "--json: {instance, state, instructions}."},
            footer = {"", "Examples:", "  vmtree pause -i web"})
    static final class Pause implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
        String instance;

        @Override
        public Integer call() {
            return pauseOrResume(spec, instance, "pause", "paused");
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = {"Let a paused background instance run on from where it froze.",
                "--json: {instance, state, instructions}."},
            footer = {"", "Examples:", "  vmtree resume -i web"})
    static final class Resume implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
        String instance;

        @Override
        public Integer call() {
            return pauseOrResume(spec, instance, "resume", "resumed");
        }
    }

    private static int pauseOrResume(CommandSpec spec, String instance, String op, String done) {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            String name = Background.instanceName(ts, instance);
            try (Dom0Client c = daemonRunning(ts, name)) {
                Map<String, Object> reply = c.call(Json.object("op", op, "instance", name));
                print(spec, reply, "vmtree: " + done + " " + name + " at instruction "
                        + String.format("%,d", (Long) reply.get("instructions")));
                return ExitCodes.OK;
            }
        }
    }
}
