package dev.vmtree.cli;

import dev.vmtree.store.Repository;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;

/** What the store commands share: where to look for the repository, and how to wait for its lock. */
final class StoreCli {
    private StoreCli() {}

    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(60);

    /** The -C directory of the root command (or the current directory). */
    static Path workingDirectory(CommandSpec spec) {
        return ((VmtreeCommand) spec.root().userObject()).workingDirectory();
    }

    static Repository open(CommandSpec spec) {
        return Repository.open(workingDirectory(spec));
    }

    /** Parses "90d", "12h", "30m", "45s", "0" or an ISO-8601 duration ("PT1H"). */
    static Duration parseDuration(String text) {
        String t = text.trim();
        try {
            if (t.equals("0")) {
                return Duration.ZERO;
            }
            if (t.startsWith("P") || t.startsWith("p")) {
                return Duration.parse(t);
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 'd' -> Duration.ofDays(n);
                case 'h' -> Duration.ofHours(n);
                case 'm' -> Duration.ofMinutes(n);
                case 's' -> Duration.ofSeconds(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new CliException(2, "bad duration '" + text + "' (use e.g. 90d, 12h, 30m, 0)");
        }
    }
}
