package dev.vmtree.cli;

import dev.vmtree.dom0.Durations;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.dom0.policy.Limits;
import dev.vmtree.dom0.service.Dom0Daemon;
import dev.vmtree.store.Repository;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree daemon}: the repository's Dom0 in the foreground (what {@code start} runs on demand). */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"Run the repository's Dom0 daemon in this process: it supervises background instances and"
                + " serves the control protocol (docs/dom0-protocol.md) on the Unix socket .vmtree/dom0/socket, mode"
                + " 0600 in a 0700 directory, so only the repository's owner can use it. No TCP.",
            "`vmtree start` runs it on demand, detached, with its output in .vmtree/dom0/daemon.log; running it by hand"
                + " is for debugging. It ends once no instance runs and no client is connected for --linger (a fresh"
                + " daemon waits 30 s for its first request). Status 1 at once when another daemon serves the repository."},
        footer = {"", "Examples:", "  vmtree daemon --linger 10m"})
public final class DaemonCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--linger", paramLabel = "DURATION", defaultValue = "2s",
            description = "How long to stay once nothing runs and nobody is connected (default: ${DEFAULT-VALUE}).")
    String linger;

    @Override
    public Integer call() throws IOException {
        Path top;
        try (Toolstack ts = Dom0Cli.open(spec)) {
            top = Background.top(ts);
        }
        // op cli: short read-only commands of clients (Launcher), run here (docs/dom0-protocol.md "op cli")
        Dom0Daemon d = new Dom0Daemon(top, Map.of("cli", (request, wire) -> ForwardedCommand.handle(request, wire::send)),
                Durations.parse(linger), ExitCodes::of,
                (ts, running, name, memory) -> ts.policy().check(name, memory, running.stream()
                        .map(e -> new Limits.Instance(e.getKey(), e.getValue())).toList()),
                audit(new AuditLog(top.resolve(Repository.DIR).resolve(AuditLog.FILE))), System.err);
        if (!d.serve()) {
            throw new CliException(ExitCodes.FAILURE, "another Dom0 daemon serves " + top + " (pid "
                    + Dom0Daemon.pidOf(top) + ")");
        }
        return ExitCodes.OK;
    }

    /**
     * The daemon's records into the repository's audit log (docs/cli.md "Limits and the audit log"):
     * its outcome words "ok" and "refused" as they are, any other ("failed", "pending") as failed with
     * the word kept in the detail unless it is "failed". A log that cannot be written is a warning in the
     * daemon's log, never a failed operation.
     */
    static Dom0Daemon.Audit audit(AuditLog log) {
        return (op, instance, outcome, detail) -> {
            AuditLog.Outcome o = switch (outcome) {
                case "ok" -> AuditLog.Outcome.OK;
                case "refused" -> AuditLog.Outcome.REFUSED;
                default -> AuditLog.Outcome.FAILED;
            };
            String text = o == AuditLog.Outcome.FAILED && !outcome.equals("failed") ? outcome + ": " + detail : detail;
            try {
                log.append(AuditLog.Entry.now(op, instance, o, text));
            } catch (ToolstackException e) {
                System.err.println("vmtree: warning: " + e.getMessage() + " (" + op + " of " + instance
                        + " not recorded; what it did stands)");
            }
        };
    }
}
