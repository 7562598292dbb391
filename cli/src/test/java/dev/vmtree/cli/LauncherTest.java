package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short-command client as bin/vmtree runs it, in a child JVM, against a real server of the
 * "cli" op on the repository's control socket (CliSocketServer, in this JVM): a forwarded command
 * prints what vmtree itself prints and exits with its status without loading picocli or JGit;
 * without a listening daemon, with VMTREE_NO_DAEMON=1, or for a write, the client runs it itself.
 */
class LauncherTest {
    @TempDir
    Path dir;

    private Dom0Fixture f;
    private Path socket;

    record Child(int exit, String out, String err, List<String> loaded) {
        boolean ranHere() {
            return loaded.stream().anyMatch(c -> c.startsWith("picocli.") || c.startsWith("org.eclipse.jgit."));
        }
    }

    @BeforeEach
    void repo() {
        f = new Dom0Fixture(dir).init();
        var a = f.snapshot(null, "main", "a");
        f.snapshot(a, "main", "b");
        f.vm("instance", "add", "vm1", "main").ok();
        socket = f.repo.resolve(".vmtree/dom0/socket");
    }

    /** Runs {@code java ... Launcher ARGS} in {@code cwd}, logging which classes it loads. */
    private Child launch(Path cwd, Map<String, String> env, String... args) throws Exception {
        Path log = dir.resolve("classes-" + System.nanoTime() + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Xlog:class+load=info:file=" + log, "-Dvmtree.config.home=" + System.getProperty("vmtree.config.home"),
                "-cp", System.getProperty("java.class.path"), Launcher.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> loaded = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            // [0.012s][info][class,load] java.lang.Object source: shared objects file
            String[] w = line.split(" ");
            if (w.length > 1) {
                loaded.add(w[1]);
            }
        }
        return new Child(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8),
                loaded);
    }

    @Test
    void withTheDaemonListeningShortCommandsRunThereAndTheClientLoadsNeitherPicocliNorJGit() throws Exception {
        var status = Dom0Fixture.run("-C", f.repo.toString(), "status");
        var branch = Dom0Fixture.run("-C", f.repo.toString(), "--json", "branch");
        var missing = Dom0Fixture.run("-C", f.repo.toString(), "status", "-i", "nosuch");
        try (CliSocketServer server = CliSocketServer.start(socket)) {
            Child s = launch(f.repo, Map.of(), "status");
            assertThat(s.ranHere()).as("loaded picocli or JGit").isFalse();
            assertThat(s.loaded()).contains(Launcher.class.getName()).doesNotContain(Main.class.getName());
            assertThat(s.out()).isEqualTo(status.out());
            assertThat(s.exit()).isZero();
            Child b = launch(dir, Map.of(), "-C", "repo", "--json", "branch");
            assertThat(b.ranHere()).isFalse();
            assertThat(b.out()).isEqualTo(branch.out());
            Child m = launch(f.repo, Map.of(), "status", "-i", "nosuch");
            assertThat(m.ranHere()).isFalse();
            assertThat(m.exit()).isEqualTo(missing.exit()).isNotZero();
            assertThat(m.err()).isEqualTo(missing.err());
        }
    }

    @Test
    void aStaleSocketOrVmtreeNoDaemonOrAWriteRunsInTheClientItself() throws Exception {
        var status = Dom0Fixture.run("-C", f.repo.toString(), "status");
        try (CliSocketServer server = CliSocketServer.start(socket)) {
            Child noDaemon = launch(f.repo, Map.of("VMTREE_NO_DAEMON", "1"), "status");
            assertThat(noDaemon.ranHere()).isTrue();
            assertThat(noDaemon.out()).isEqualTo(status.out());
            Child write = launch(f.repo, Map.of(), "branch", "topic");
            assertThat(write.ranHere()).isTrue();
            assertThat(write.exit()).isZero();
            assertThat(Dom0Fixture.run("-C", f.repo.toString(), "branch").out()).contains("topic");
            server.stop(true);      // as a killed daemon: the socket file stays, nobody listens
            assertThat(socket).exists();
            Child stale = launch(f.repo, Map.of(), "status");
            assertThat(stale.ranHere()).isTrue();
            assertThat(stale.out()).isEqualTo(status.out());
            assertThat(stale.err()).isEmpty();
            assertThat(stale.exit()).isZero();
        }
    }

    @Test
    void aDaemonThatDeclinesBeforeAnyOutputLeavesTheCommandToTheClient() throws Exception {
        var status = Dom0Fixture.run("-C", f.repo.toString(), "status");
        try (CliSocketServer server = CliSocketServer.start(socket)) {
            // the child's environment differs from this JVM's: the server says so, the client runs it
            Child other = launch(f.repo, Map.of("VMTREE_HOME", dir.resolve("another-installation").toString()), "status");
            assertThat(other.ranHere()).isTrue();
            assertThat(other.out()).isEqualTo(status.out());
        }
    }

    @Test
    void theRealDaemonServesTheClient() throws Exception {
        var status = Dom0Fixture.run("-C", f.repo.toString(), "status");
        var ps = Dom0Fixture.run("-C", f.repo.toString(), "ps", "-a");
        Dom0Fixture.Started daemon = f.start("daemon", "--linger", "1s");
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); !Files.exists(socket); ) {
            assertThat(System.nanoTime()).as("the daemon's socket appears").isLessThan(deadline);
            Thread.sleep(20);
        }
        Child s = launch(f.repo, Map.of(), "status");
        assertThat(s.ranHere()).as("loaded picocli or JGit").isFalse();
        assertThat(s.out()).isEqualTo(status.out());
        Child p = launch(f.repo, Map.of(), "ps", "-a");     // ps in the daemon asks the daemon itself
        assertThat(p.ranHere()).isFalse();
        assertThat(p.out()).isEqualTo(ps.out());
        assertThat(daemon.done().get(60, TimeUnit.SECONDS).exit()).isZero();  // lingers 1 s, then ends
        assertThat(socket).doesNotExist();
    }

    @Test
    void outsideARepositoryTheClientSaysWhatVmtreeSays() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Child c = launch(elsewhere, Map.of(), "status");
        assertThat(c.ranHere()).isTrue();
        assertThat(c.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(c.err()).contains("not a vmtree repository");
    }

}
