package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Migrations;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Client;
import dev.vmtree.store.Transfer;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree migrate INSTANCE REMOTE}: move an instance to another repository (docs/migration.md). */
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
            "--json: {instance, remote, ref, snapshot, state, stopped, snapshots, chunks, bytes, finished}."},
        footer = {"", "Examples:", "  vmtree migrate web origin", "  # then, in the other repository:",
            "  vmtree fetch origin && vmtree instance add web origin/migrations/web"})
public final class MigrateCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INSTANCE", description = "The instance to move.")
    String instance;

    @Parameters(index = "1", paramLabel = "REMOTE", description = "A remote's name or URL: " + RemoteCommands.URLS)
    String remote;

    @Option(names = {"-f", "--force"}, description = "Replace a migration of the same name that REMOTE holds already.")
    boolean force;

    @Override
    public Integer call() {
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
