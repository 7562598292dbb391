package dev.vmtree.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The training run behind the launcher's startup cache (docs/performance.md, "CLI start-up"): the
 * build runs this once with {@code -XX:AOTCacheOutput}, so the JVM records the classes (and method
 * profiles) that everyday commands load, and later {@code bin/vmtree} processes start from that
 * cache instead of loading, verifying and linking them again. It runs the light commands every
 * invocation shares in a scratch repository; output is discarded, failures are ignored (a weaker
 * cache only costs start-up time). The repository has two machines (one clean, one that ran and
 * powered off) so that status on a real instance is trained too, not only its "no instance" error.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("vmtree-aot-training");
        String config = dir.resolve("config").toString();
        System.setProperty("vmtree.config.home", config);
        try {
            String repo = dir.resolve("repo").toString();
            run("init", repo);
            // Machines to look at, made by other JVMs: what creating and running one loads (the core,
            // the ELF loader) would otherwise land in the cache, which every command loads at start.
            boolean machines = child(config, "-C", repo, "create", "halted", "--image", "hello", "--memory", "16M")
                    && child(config, "-C", repo, "run", "-i", "halted")
                    && child(config, "-C", repo, "create", "clean", "--image", "hello", "--memory", "16M");
            // Only the light path every command shares (picocli, the repository, refs, instances):
            // the JVM loads every class in the cache at start-up, so caching what only `run` or
            // `create` needs would slow every other command down.
            String[][] commands = {
                {"config", "user.name", "Training"},
                {"status"},
                {"status", "-i", "halted"},
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
            clientPath(Path.of(repo));
            if (!machines) {
                System.err.println("AotTraining: could not create the training machines; the cache is weaker");
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The short-command client (Launcher) against a server of the "cli" op on the repository's
     * socket, so that the client's few classes (and the JDK's Unix-socket ones) are in the cache too.
     */
    private static void clientPath(Path repo) throws IOException, InterruptedException {
        Path socket = repo.resolve(".vmtree/dom0/socket");
        Files.createDirectories(socket.getParent());
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            Thread t = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 2; i++) {
                    try (var c = server.accept()) {
                        ForwardedCommand.serveConnection(c);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            for (String command : List.of("status", "branch")) {
                Launcher.forward(List.of(command), repo, System.getenv(), java.io.OutputStream.nullOutputStream(),
                        java.io.OutputStream.nullOutputStream());
            }
            t.join(10_000);
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    /** Runs {@code vmtree ARGS} in a child JVM on this class path, output discarded; true when it succeeded. */
    private static boolean child(String config, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dvmtree.config.home=" + config,
                "-Dvmtree.home=" + System.getProperty("vmtree.home", ""),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor() == 0;
    }

    private static void run(String... args) {
        CommandLine cl = VmtreeCommand.commandLine(args);     // as Main does
        cl.setOut(new PrintWriter(Writer.nullWriter()));
        cl.setErr(new PrintWriter(Writer.nullWriter()));
        cl.execute(args);
    }
}
