package dev.vmtree.cli;

import dev.vmtree.dom0.Durations;
import dev.vmtree.dom0.ToolstackException;
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
        Path dir = workingDirectory(spec).normalize();
        if (Repository.find(dir).isEmpty()) {
            throw new CliException(4, "not a vmtree repository (or any parent): " + dir + "; run `vmtree init`");
        }
        return Repository.open(dir);
    }

    /** Parses "90d", "12h", "30m", "45s", "0" or an ISO-8601 duration ("PT1H"); see {@link Durations}. */
    static Duration parseDuration(String text) {
        try {
            return Durations.parse(text);
        } catch (ToolstackException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }
}
