package dev.vmtree.cli;

import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.policy.AuditLog;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree audit [-n N] [-i INSTANCE]}: the repository's audit log, oldest first. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Show the audit log (.vmtree/audit.log): every lifecycle operation on an instance (create,"
                + " add, remove, repair, commit, checkout, rollback, start, stop, and the daemon's end, crash,"
                + " pause, resume, attach), who did it and how it ended, oldest first and newest last (as `tail`), one line"
                + " each: time (UTC), op, instance, outcome (ok, refused, failed), pid, detail.",
            "A damaged line is left out with a warning on stderr; a torn last line (a crash mid-write) is skipped."
                + " An operation whose entry cannot be written still happens, with a warning.",
            "--json: [{time, pid, user, op, instance: s|null, outcome, detail}], oldest first."})
public final class AuditCommand implements Callable<Integer>, JsonOutput {
    /** Fixed width, so the columns line up: 2026-05-01T12:00:00.000Z. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Option(names = "-n", paramLabel = "N", description = "Only the last N entries.")
    Integer last;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "Only entries about instance INSTANCE.")
    String instance;

    @Override
    public Integer call() {
        if (last != null && last < 0) {
            throw new CliException(ExitCodes.USAGE, "-n must not be negative: " + last);
        }
        try (Toolstack ts = Dom0Cli.open(spec)) {
            AuditLog log = ts.policy().log();
            AuditLog.Reading reading = log.read(e -> instance == null || instance.equals(e.instance()),
                    last == null ? Integer.MAX_VALUE : last);
            for (AuditLog.Damage d : reading.damaged()) {
                spec.commandLine().getErr().println("vmtree: warning: " + d.describe(log.file()));
            }
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginArray();
                for (AuditLog.Entry e : reading.entries()) {
                    j.beginObject().field("time", e.time().toString()).field("pid", e.pid()).field("user", e.user())
                            .field("op", e.op()).field("instance", e.instance()).field("outcome", e.outcome().word())
                            .field("detail", e.detail()).endObject();
                }
                Dom0Cli.printJson(spec, j.endArray());
                return ExitCodes.OK;
            }
            for (AuditLog.Entry e : reading.entries()) {
                Dom0Cli.out(spec).printf("%s %-8s %-12s %-7s pid %-7d %s%n", TIME.format(e.time()), oneLine(e.op()),
                        e.instance() == null ? "-" : oneLine(e.instance()), e.outcome().word(), e.pid(),
                        oneLine(e.detail()));
            }
            return ExitCodes.OK;
        }
    }

    /** Text as one printable line: a control character (a newline in a message) shows as a space. */
    private static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return sb.toString();
    }
}
