package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, remotes over HTTP: `remote export` writes a static layout, the JDK's own
 * SimpleFileServer (com.sun.net.httpserver, a real HTTP server on 127.0.0.1 that ignores Range, so
 * the whole-file answer path is the one taken) serves it, and clone, fetch and pull read it; a
 * re-export moves only what is new, a push there is refused as read-only.
 */
@Tag("engines")
class HttpRemoteCommandsTest {
    @TempDir
    static Path dir;

    static Dom0Fixture sender;
    static HttpServer server;

    @BeforeAll
    static void machine() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        sender = new Dom0Fixture(dir.resolve("sender")).init();
        sender.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        sender.runWith("set a 5\nset b 7\n");
        RemoteCommandsTest.scribble(sender, 0x80400000L, 256);
        sender.vm("commit", "-m", "two keys").ok();
        sender.vm("tag", "golden", "kv").ok();
        Files.createDirectories(dir.resolve("www"));
        server = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                dir.resolve("www").toAbsolutePath(), SimpleFileServer.OutputLevel.NONE);
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        System.clearProperty("vmtree.home");
    }

    private static String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    private static Map<String, SnapshotId> refs(Path repo) {
        try (Repository r = Repository.open(repo)) {
            return r.refs();
        }
    }

    @Test
    void anExportClonesOverHttpAndAnUpdateMovesOnlyWhatChanged() throws Exception {
        String out = sender.vm("remote", "export", dir.resolve("www/golden").toString()).ok().out();
        assertThat(out).contains("[new]").contains("kv -> kv").contains("golden -> golden");

        Dom0Fixture c = new Dom0Fixture(dir.resolve("clone"));
        Dom0Fixture.run("clone", url("golden"), c.repo.toString()).ok();
        assertThat(refs(c.repo)).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"))
                .containsEntry("refs/tags/golden", refs(sender.repo).get("refs/tags/golden"));
        assertThat(c.vm("remote", "list").ok().out()).contains("origin\t" + url("golden"));
        c.vm("fsck").ok();
        assertThat(c.vm("replay", "kv", "--verify").ok().out()).contains("identical");

        RemoteCommandsTest.scribble(sender, 0x80600000L, 40);   // 1% of the 4096 pages of RAM
        sender.vm("commit", "-m", "1% update").ok();
        String exported = sender.vm("--json", "remote", "export", dir.resolve("www/golden").toString()).ok().out();
        long chunks = Long.parseLong(Dom0Fixture.field(exported, "chunks"));
        assertThat(chunks).isBetween(40L, 100L);
        String pulled = c.vm("--json", "pull", "origin").ok().out();
        assertThat(Long.parseLong(Dom0Fixture.field(pulled, "chunks"))).isEqualTo(chunks);
        assertThat(refs(c.repo)).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"));
        c.vm("fsck").ok();

        Dom0Fixture.Result push = c.vm("push", "origin", "kv");
        assertThat(push.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(push.err()).contains("read-only static HTTP layout").doesNotContain("\tat ");
    }

    @Test
    void aUrlWithNoLayoutIsRefusedAndTheCloneLeavesNothing() throws Exception {
        Files.createDirectories(dir.resolve("www/empty"));
        Path target = dir.resolve("clone-of-nothing");
        Dom0Fixture.Result r = Dom0Fixture.run("clone", url("empty"), target.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err().strip()).contains("is not a vmtree remote").doesNotContain("\n");
        assertThat(target).doesNotExist();
        Dom0Fixture.Result down = Dom0Fixture.run("clone", "http://127.0.0.1:1/golden", dir.resolve("c2").toString());
        assertThat(down.exit()).isNotZero();
        assertThat(down.err().strip()).contains("http://127.0.0.1:1/golden/").contains("cannot connect").doesNotContain("\n");
    }

    @Test
    void anInterruptedPullResumesWhereItStopped() throws Exception {
        Path root = dir.resolve("www").toAbsolutePath();
        var files = SimpleFileServer.createFileHandler(root);
        // counts down the chunk pack reads once armed; the one that brings it to 0 is cut
        java.util.concurrent.atomic.AtomicInteger armed = new java.util.concurrent.atomic.AtomicInteger(-1);
        HttpServer cutting = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // the sixth chunk pack read after arming (the levels above the leaves are in by then) is cut
        // halfway through the range asked for, as a dropped connection would cut it
        cutting.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            if (ex.getRequestMethod().equals("GET") && path.contains("/chunks/") && path.endsWith(".pack")
                    && armed.get() > 0 && armed.decrementAndGet() == 0) {
                byte[] all = Files.readAllBytes(root.resolve(path.substring(1)));
                // like SimpleFileServer, the whole file, ignoring Range; but it stops halfway through the range asked for
                var range = java.util.regex.Pattern.compile("bytes=(\\d+)-(\\d+)")
                        .matcher(String.valueOf(ex.getRequestHeaders().getFirst("Range")));
                int cutAt = range.matches()
                        ? (int) ((Long.parseLong(range.group(1)) + Long.parseLong(range.group(2))) / 2) : all.length / 2;
                ex.sendResponseHeaders(200, 0);   // chunked: the body just ends where it is cut
                try (var body = ex.getResponseBody()) {
                    body.write(all, 0, cutAt);
                }
                return;
            }
            files.handle(ex);
        });
        cutting.start();
        try {
            String url = "http://127.0.0.1:" + cutting.getAddress().getPort() + "/cut";
            sender.vm("remote", "export", dir.resolve("www/cut").toString()).ok();
            Dom0Fixture c = new Dom0Fixture(dir.resolve("cut-clone"));
            Dom0Fixture.run("clone", url, c.repo.toString()).ok();
            Map<String, SnapshotId> before = refs(c.repo);

            RemoteCommandsTest.scribble(sender, 0x80500000L, 512);
            sender.vm("commit", "-m", "an eighth of RAM").ok();
            String exported = sender.vm("--json", "remote", "export", dir.resolve("www/cut").toString()).ok().out();
            long update = Long.parseLong(Dom0Fixture.field(exported, "chunks"));

            armed.set(6);
            Dom0Fixture.Result cut = c.vm("pull", "origin");
            assertThat(cut.exit()).as("pull through a cut: %s %s", cut.out(), cut.err()).isNotZero();
            assertThat(cut.err().strip()).contains("interrupted").contains("run the same command again").doesNotContain("\n");
            assertThat(refs(c.repo)).isEqualTo(before);
            c.vm("fsck").ok();

            String resumed = c.vm("--json", "pull", "origin").ok().out();
            long rest = Long.parseLong(Dom0Fixture.field(resumed, "chunks"));
            assertThat(rest).isPositive().isLessThan(update);
            assertThat(refs(c.repo)).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"));
            c.vm("fsck").ok();
            assertThat(c.vm("replay", "kv", "--verify").ok().out()).contains("identical");
        } finally {
            cutting.stop(0);
        }
    }
}
