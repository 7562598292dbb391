package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Migrations;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Client;
import dev.vmtree.store.Transfer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree migrate INSTANCE REMOTE}, and {@code migrate --live INSTANCE DEST}: move an instance to
 * another repository, stopped (cold) or while its guest runs on (live, pre-copy); docs/migration.md.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Move instance INSTANCE to another repository through REMOTE (a remote's name or URL that"
                + " holds a vmtree repository or store): a background run of it is stopped first (as `vmtree stop`"
                + " does), its working state and ReplayLog are pushed as the migration snapshot refs/migrations/"
                + "INSTANCE there, and the instance is retired here: its record says where it went, and `run` or"
                + " `start` of it is refused unless --force.",
            "There: `vmtree fetch REMOTE` brings it as REMOTE/migrations/INSTANCE, and `vmtree instance add NAME"
                + " REMOTE/migrations/INSTANCE` resumes it with the same StateId, instruction count and VM generation"
                + " ID: a migration moves one machine, it does not copy it.",
            "An instance held by a foreground run is refused (status 6). A migration whose push did not happen"
                + " (a crash, a dropped connection) is finished by running the same command again.",
            "--json: {instance, remote, ref, snapshot, state, stopped, snapshots, chunks, bytes, finished}.",
            "--live: move an instance running in the background to repository DEST (a path) while its guest runs on:"
                + " this repository's Dom0 saves it and pushes it to DEST, then copies the pages the guest dirtied"
                + " meanwhile in rounds; when a round dirtied at most 256 pages, dirtying stopped shrinking, or after"
                + " --max-rounds, the guest is paused, the rest copied, and DEST's Dom0 (started on demand) verifies it,"
                + " adds instance INSTANCE there and runs it. The instance here is then retired. The downtime (pause to"
                + " running there) is printed. A refusal there lets the guest run on here.",
            "--live --json: {instance, dest, rounds, pagesPerRound: [n], chunks, bytes, downtimeMicros, totalMicros,"
                + " state, destinationPid}."},
        footer = {"", "Examples:", "  vmtree migrate web origin", "  # then, in the other repository:",
            "  vmtree fetch origin && vmtree instance add web origin/migrations/web",
            "  vmtree migrate --live web /srv/host2/repo"})
public final class MigrateCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INSTANCE", description = "The instance to move.")
    String instance;

    @Parameters(index = "1", paramLabel = "REMOTE|DEST", description = "A remote's name or URL: " + RemoteCommands.URLS
            + " With --live: the path of the destination repository.")
    String remote;

    @Option(names = {"-f", "--force"}, description = "Replace a migration of the same name that REMOTE holds already.")
    boolean force;

    @Option(names = "--live", description = "Migrate a running background instance while its guest runs (pre-copy).")
    boolean live;

    @Option(names = "--max-rounds", paramLabel = "N", defaultValue = "30",
            description = "With --live: at most N rounds of copying after the first (default: ${DEFAULT-VALUE}).")
    int maxRounds;

    @Override
    public Integer call() {
        if (live) {
            return live();
        }
        try (Toolstack ts = Dom0Cli.open(spec)) {
            InstanceRecord r = ts.instances().get(instance);
            boolean stopped = false;
            if (!r.retired() && Background.runsInBackground(ts, r.name())) {
                stopBackground(ts, r.name());
                stopped = true;
            }
            Transfer.Counters c = new Transfer.Counters();
            Migrations.Migrated m;
            try (var p = ts.progress().begin("migrate " + instance, "chunks", c.chunks::sum)) {
                m = ts.migrations().migrate(r.name(), remote, force, c);
            }
            Transfer.Result res = m.pushed().result();
            InstanceRecord.Migration where = m.instance().migratedTo();
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject().field("instance", r.name()).field("remote", where.remote())
                        .field("ref", where.ref()).field("snapshot", m.snapshot().hex()).field("state", m.state().hex())
                        .field("stopped", stopped).field("snapshots", res.snapshots()).field("chunks", res.chunks())
                        .field("bytes", res.bytes()).field("finished", m.finished()).endObject());
            } else {
                Dom0Cli.say(spec, (m.finished() ? "finished migrating " : "migrated ") + r.name() + " to " + where.remote()
                        + " as " + where.ref() + " (snapshot " + m.snapshot().shortHex() + ", state " + m.state().shortHex()
                        + "): " + res.snapshots() + " snapshots, " + res.chunks() + " chunks (" + res.bytes() + " bytes)"
                        + (stopped ? "; its background run was stopped first" : ""));
                Dom0Cli.say(spec, "resume it there: `vmtree fetch REMOTE` then `vmtree instance add " + r.name()
                        + " REMOTE/" + where.ref().substring("refs/".length()) + "`");
            }
            return ExitCodes.OK;
        }
    }

    private int live() {
        if (maxRounds < 1) {
            throw new CliException(ExitCodes.USAGE, "--max-rounds must be at least 1");
        }
        if (force) {
            throw new CliException(ExitCodes.USAGE, "--force is for a migration through a remote, not --live");
        }
        try (Toolstack ts = Dom0Cli.open(spec)) {
            InstanceRecord r = ts.instances().get(instance);
            if (r.retired()) {
                throw new CliException(ExitCodes.FAILURE, "instance " + r.name() + " was already migrated to "
                        + r.migratedTo().describe());
            }
            Path dest = destination(ts);
            if (!Background.runsInBackground(ts, r.name())) {
                throw new CliException(ExitCodes.FAILURE, "instance " + r.name() + " is not running in the background:"
                        + " --live migrates a running guest (`vmtree start -i " + r.name() + "` first), `vmtree migrate "
                        + r.name() + " REMOTE` a stopped one");
            }
            // DEST's Dom0 takes the instance: started there on demand, as `vmtree start` starts this one
            try (Dom0Client there = Dom0Client.connectOrSpawn(dest, Background::spawn, Background.SPAWN_WAIT);
                 Dom0Client c = BackgroundCommands.daemonRunning(ts, r.name())) {
                there.call(dev.vmtree.dom0.service.Json.object("op", "hello"));
                c.send(dev.vmtree.dom0.service.Json.object("op", "migrate", "instance", r.name(), "dest", dest.toString(),
                        "maxRounds", (long) maxRounds));
                Map<String, Object> reply = c.reply(e -> {
                    if (!Dom0Cli.json(spec) && !Dom0Cli.quiet(spec) && "round".equals(e.get("event"))) {
                        spec.commandLine().getErr().println("vmtree: round " + e.get("round") + ": " + e.get("pages")
                                + " pages dirty, " + e.get("chunks") + " chunks (" + e.get("bytes") + " bytes) in "
                                + millis(e.get("micros")) + " ms");
                    }
                });
                BackgroundCommands.print(spec, reply, "vmtree: migrated " + r.name() + " live to " + dest + " in "
                        + reply.get("rounds") + " rounds; downtime " + millis(reply.get("downtimeMicros")) + " ms, total "
                        + millis(reply.get("totalMicros")) + " ms; it runs there now (Dom0 pid "
                        + reply.get("destinationPid") + "), state " + String.valueOf(reply.get("state")).substring(0, 12));
                return ExitCodes.OK;
            }
        }
    }

    /** DEST as the top directory of a vmtree repository on this machine, not this one. */
    private Path destination(Toolstack ts) {
        dev.vmtree.dom0.remote.RemoteUrl u = dev.vmtree.dom0.remote.RemoteUrl.parse(remote, StoreCli.workingDirectory(spec));
        if (!(u instanceof dev.vmtree.dom0.remote.RemoteUrl.Local l)) {
            throw new CliException(ExitCodes.USAGE, "--live takes the path of a repository on this machine, not " + remote
                    + " (a Dom0 elsewhere is not reachable yet)");
        }
        Path top = l.path();
        if (!java.nio.file.Files.isDirectory(top.resolve(dev.vmtree.store.Repository.DIR))) {
            throw new CliException(ExitCodes.FAILURE, top + " is not a vmtree repository (`vmtree init` it first)");
        }
        if (top.equals(Background.top(ts))) {
            throw new CliException(ExitCodes.USAGE, "the destination is this repository");
        }
        return top;
    }

    private static String millis(Object micros) {
        return String.format(java.util.Locale.ROOT, "%.1f", ((Number) micros).longValue() / 1000.0);
    }

    /** Suspends a background run of {@code name} as `vmtree stop` does; FAILED when its state was not saved. */
    static void stopBackground(Toolstack ts, String name) {
        try (Dom0Client c = BackgroundCommands.daemonRunning(ts, name)) {
            Map<String, Object> reply = c.call(dev.vmtree.dom0.service.Json.object("op", "stop", "instance", name, "timeoutMillis", 60_000L));
            if (!Boolean.TRUE.equals(reply.get("saved"))) {
                throw new CliException(ExitCodes.FAILURE, "cannot migrate " + name + ": its background run ended without"
                        + " saving its state (" + reply.get("why") + "); nothing was migrated");
            }
        }
    }
}
