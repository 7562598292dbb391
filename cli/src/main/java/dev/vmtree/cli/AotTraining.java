package dev.vmtree.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The training run behind the launcher's startup cache (docs/performance.md, "CLI start-up"): the
 * build runs this once with {@code -XX:AOTCacheOutput}, so the JVM records the classes (and method
 * profiles) that everyday commands load, and later {@code bin/vmtree} processes start from that
 * cache instead of loading, verifying and linking them again. It runs the light commands every
 * invocation shares in a scratch repository; output is discarded, failures are ignored (a weaker
 * cache only costs start-up time).
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("vmtree-aot-training");
        System.setProperty("vmtree.config.home", dir.resolve("config").toString());
        try {
            String repo = dir.resolve("repo").toString();
            run("init", repo);
            // Only the light path every command shares (picocli, the repository, refs, instances):
            // the JVM loads every class in the cache at start-up, so caching what only `run` or
            // `create` needs would slow every other command down.
            String[][] commands = {
                {"config", "user.name", "Training"},
                {"status"},
                {"branch"},
                {"log", "--oneline"},
                {"instance", "list"},
            };
            for (String[] c : commands) {
                String[] all = new String[c.length + 2];
                all[0] = "-C";
                all[1] = repo;
                System.arraycopy(c, 0, all, 2, c.length);
                run(all);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(String... args) {
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setOut(new PrintWriter(Writer.nullWriter()));
        cl.setErr(new PrintWriter(Writer.nullWriter()));
        cl.execute(args);
    }
}
