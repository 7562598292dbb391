package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.vmtree.dom0.remote.CuttingProxy;
import dev.vmtree.dom0.remote.TestS3Server;
import dev.vmtree.store.ChunkStore;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, lazy start: `clone --lazy` fetches snapshots and page-tree nodes only, `run` faults the
 * pages it touches in from origin and ends exactly where a run in a full clone ends, fsck counts
 * promised chunks apart from damaged ones, `fetch --all-chunks` completes the clone, and a remote
 * that vanishes mid-run (a path renamed, an HTTP server stopped) suspends the machine with its run
 * saved, which a later run continues to the same StateId.
 */
@Tag("engines")
class LazyCloneCommandsTest {
    @TempDir
    static Path dir;

    static Dom0Fixture sender;
    static final Random rnd = new Random(17);
    static final String INPUT = "get a\nset c 9\nsum\n";
    /** The walker's pages: 2 MiB at 0x80300000, every one random, read one by one over ~8.4 M instructions. */
    static final int WALKED = 512;
    static final long BUDGET = 10_000_000;
    private static int clones;

    @BeforeAll
    static void machines() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        sender = new Dom0Fixture(dir.resolve("sender")).init();
        sender.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        sender.runWith("set a 5\nset b 7\n");
        scribble(sender, "kv", 0x80400000L, 256);      // pages the shell never reads: a lazy run never fetches them
        sender.vm("commit", "-m", "two keys").ok();
        Path walker = Files.write(dir.resolve("walk.bin"), RawPrograms.pageWalker(WALKED, 2));
        sender.vm("create", "walk", "--kernel", walker.toString(), "--memory", "8M").ok();
        scribble(sender, "walk", 0x80300000L, WALKED);
        sender.vm("commit", "-i", "walk", "-m", "pages to walk").ok();
        sender.vm("instance", "use", "kv").ok();
    }

    @AfterAll
    static void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    /** Writes {@code pages} pages of random bytes at {@code addr} of instance {@code i}. */
    static void scribble(Dom0Fixture f, String i, long addr, int pages) {
        for (int p = 0; p < pages; p += 64) {
            byte[] b = new byte[4096 * Math.min(64, pages - p)];
            rnd.nextBytes(b);
            f.vm("mem", "write", "-i", i, "0x" + Long.toHexString(addr + p * 4096L), HexFormat.of().formatHex(b)).ok();
        }
    }

    private static Dom0Fixture clone(String url, boolean lazy, String branch) {
        Dom0Fixture c = new Dom0Fixture(dir.resolve("clone-" + clones++));
        Dom0Fixture.Result r = lazy
                ? Dom0Fixture.run("clone", "--lazy", url, c.repo.toString(), "--instance", branch)
                : Dom0Fixture.run("clone", url, c.repo.toString(), "--instance", branch);
        r.ok();
        if (!branch.equals("kv")) {
            // the clone's instance is on the default branch; put it on the one asked for
            c.vm("checkout", "-i", branch, branch).ok();
        }
        return c;
    }

    /**
     * Gives instance {@code instance} of {@code to} the generation ID its first run will get in
     * {@code from} (each clone's instance gets a random one, part of its machine's state), so the
     * two runs are comparable StateId for StateId: the record's "generation" line, its checksum
     * redone (docs/format.md, "Dom0 records").
     */
    static void sameGeneration(Dom0Fixture from, Dom0Fixture to, String instance) throws Exception {
        String theirs = Files.readString(from.repo.resolve(".vmtree/instances/" + instance));
        Path mine = to.repo.resolve(".vmtree/instances/" + instance);
        String line = theirs.lines().filter(l -> l.startsWith("generation ")).findFirst().orElseThrow();
        String body = Files.readString(mine);
        body = body.substring(0, body.lastIndexOf("crc32c ")).replaceAll("(?m)^generation .*$", line);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.writeString(mine, body + String.format("crc32c %08x%n", crc.getValue()));
    }

    static String workingState(Dom0Fixture f, String instance) {
        return Dom0Fixture.field(f.vm("--json", "status", "-i", instance).ok().out(), "workingState");
    }

    private static long sinceHead(Dom0Fixture f, String instance) {
        return Long.parseLong(Dom0Fixture.field(f.vm("--json", "status", "-i", instance).ok().out(),
                "instructionsSinceHead"));
    }

    private static Dom0Fixture.Result runWith(Dom0Fixture f, String input) throws Exception {
        Path in = f.dir.resolve("input");
        Files.createDirectories(f.dir);
        Files.writeString(in, input);
        return f.vm("run", "--input", in.toString());
    }

    static long promised(Dom0Fixture f) {
        return Long.parseLong(Dom0Fixture.field(f.vm("--json", "fsck").ok().out(), "promised"));
    }

    @Test
    void aLazyCloneRunsLikeAFullOneFetchingOnlyWhatItTouchesAndThenCompletes() throws Exception {
        Dom0Fixture full = clone(sender.repo.toString(), false, "kv");
        Dom0Fixture lazy = clone(sender.repo.toString(), true, "kv");
        sameGeneration(full, lazy, "kv");
        Dom0Fixture.Result shown = runWith(full, INPUT).ok();
        String expected = workingState(full, "kv");
        assertThat(promised(full)).isZero();

        assertThat(Files.readString(lazy.repo.resolve(".vmtree/config"))).contains("promisor = true");
        Dom0Fixture.Result fsck = lazy.vm("fsck").ok();
        assertThat(fsck.out()).containsPattern("promised: [0-9]+ chunks are not here; remote origin promises them")
                .contains(": ok");
        long before = promised(lazy);
        assertThat(before).as("RAM (4096 pages, many of them zero) and the disk").isGreaterThan(300);
        assertThat(lazy.vm("remote", "remove", "origin").exit()).as("the promisor stays").isEqualTo(ExitCodes.FAILURE);

        Dom0Fixture.Result run = runWith(lazy, INPUT).ok();
        assertThat(run.out()).as("the guest's console").isEqualTo(shown.out()).contains("21");
        assertThat(run.err()).containsPattern("faulted in [0-9]+ chunks \\([0-9]+ bytes\\) from remote origin");
        assertThat(workingState(lazy, "kv")).as("the same StateId as the run in a full clone").isEqualTo(expected);
        long after = promised(lazy);
        assertThat(after).as("what the run touched came in; the scribbled pages did not").isBetween(256L, before - 1);

        String done = lazy.vm("--json", "fetch", "--all-chunks").ok().out();
        assertThat(Long.parseLong(Dom0Fixture.field(done, "fetched"))).isEqualTo(after);
        long reachable = Long.parseLong(Dom0Fixture.field(done, "reachable"));
        long present = Long.parseLong(Dom0Fixture.field(done, "present"));
        assertThat(present).as("a fraction, not all").isLessThan(reachable).isEqualTo(reachable - after);
        Dom0Fixture.Result complete = lazy.vm("fsck").ok();
        assertThat(complete.out()).doesNotContain("promised");
        assertThat(Files.readString(lazy.repo.resolve(".vmtree/config"))).doesNotContain("promisor");
        assertThat(lazy.vm("replay", "kv", "--verify").ok().out()).contains("identical");
        lazy.vm("remote", "remove", "origin").ok();
        lazy.vm("fsck").ok();
    }

    @Test
    void fsckOfALazyCloneStillFailsOnADamagedChunk() throws Exception {
        Dom0Fixture lazy = clone(sender.repo.toString(), true, "kv");
        PageTreeRoot ram;
        try (Repository r = Repository.open(lazy.repo)) {
            ram = r.readSnapshot(r.resolve("kv").orElseThrow()).content().images().get("ram");
            ChunkStore.Location node = r.chunks().locate(ram.root());
            try (RandomAccessFile f = new RandomAccessFile(r.chunks().packPath(node.pack().name()).toFile(), "rw")) {
                f.seek(node.offset() + 60);
                int v = f.read();
                f.seek(node.offset() + 60);
                f.write(v ^ 0x10);
            }
        }
        Dom0Fixture.Result fsck = lazy.vm("fsck");
        assertThat(fsck.exit()).isEqualTo(1);
        assertThat(fsck.err()).contains("damaged: chunk " + ram.root().hex());
        assertThat(fsck.out()).contains("promised: ").contains("1 damaged");
    }

    @Test
    void aPathRemoteGoneBeforeTheRunSuspendsItAndOnceBackTheRunGoesOn() throws Exception {
        Path copy = dir.resolve("sender-copy");
        sender.vm("push", copy.toString(), "kv").ok();
        Dom0Fixture lazy = clone(copy.toString(), true, "kv");
        Dom0Fixture full = clone(sender.repo.toString(), false, "kv");
        sameGeneration(full, lazy, "kv");
        Path away = dir.resolve("sender-away");
        Files.move(copy, away);
        Dom0Fixture.Result cut = runWith(lazy, INPUT);
        assertThat(cut.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(cut.err()).contains("suspended kv after 0 instructions (a page could not be faulted in")
                .contains("promised by remote origin").contains("run it again once the remote is back")
                .doesNotContain("\tat ").doesNotContain("internal error");
        assertThat(lazy.vm("status").ok().out()).contains("kv");
        Files.move(away, copy);
        runWith(lazy, INPUT).ok();
        runWith(full, INPUT).ok();
        assertThat(workingState(lazy, "kv")).isEqualTo(workingState(full, "kv"));
    }

    @Test
    void anHttpServerStoppedMidRunSuspendsTheMachineWithItsRunSavedAndALaterRunEndsAsAFullOne() throws Exception {
        Dom0Fixture full = clone(sender.repo.toString(), false, "walk");
        Dom0Fixture unrun = new Dom0Fixture(dir.resolve("walk-generation"));
        Files.createDirectories(unrun.repo.resolve(".vmtree/instances"));
        Files.copy(full.repo.resolve(".vmtree/instances/walk"), unrun.repo.resolve(".vmtree/instances/walk"));
        assertThat(full.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET)).exit())
                .isEqualTo(ExitCodes.BUDGET);
        String expected = workingState(full, "walk");

        Path www = dir.resolve("www");
        sender.vm("remote", "export", www.resolve("golden").toString()).ok();
        AtomicInteger armed = new AtomicInteger(-1);
        HttpServer server = serve(www, armed, 0);
        int port = server.getAddress().getPort();
        String url = "http://127.0.0.1:" + port + "/golden";
        Dom0Fixture lazy = clone(url, true, "walk");
        sameGeneration(unrun, lazy, "walk");
        // the 12th pack read from now on finds the server stopping: the walk is a few slices in by then
        armed.set(12);
        Dom0Fixture.Result cut = lazy.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET));
        server.stop(0);
        assertThat(cut.exit()).as(cut.err()).isEqualTo(ExitCodes.FAILURE);
        assertThat(cut.err()).contains("(a page could not be faulted in").contains("promised by remote origin")
                .doesNotContain("\tat ").doesNotContain("internal error");
        long saved = sinceHead(lazy, "walk");
        assertThat(saved).as("the run up to its last whole slice is saved").isPositive().isLessThan(BUDGET)
                .isEqualTo(saved / (1L << 21) * (1L << 21));
        assertThat(lazy.vm("fsck").ok().out()).contains("promised: ");

        HttpServer back = serve(www, new AtomicInteger(-1), port);
        try {
            Dom0Fixture.Result rest = lazy.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET - saved));
            assertThat(rest.exit()).as(rest.err()).isEqualTo(ExitCodes.BUDGET);
        } finally {
            back.stop(0);
        }
        assertThat(sinceHead(lazy, "walk")).isEqualTo(BUDGET);
        assertThat(workingState(lazy, "walk")).as("the same StateId as one run in a full clone").isEqualTo(expected);
    }

    @Test
    void anS3ServerThatGoesAwayMidRunSuspendsTheMachineWithItsRunSavedAndALaterRunEndsAsAFullOne() throws Exception {
        Dom0Fixture full = clone(sender.repo.toString(), false, "walk");
        Dom0Fixture unrun = new Dom0Fixture(dir.resolve("walk-generation-s3"));
        Files.createDirectories(unrun.repo.resolve(".vmtree/instances"));
        Files.copy(full.repo.resolve(".vmtree/instances/walk"), unrun.repo.resolve(".vmtree/instances/walk"));
        assertThat(full.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET)).exit())
                .isEqualTo(ExitCodes.BUDGET);
        String expected = workingState(full, "walk");
        try (TestS3Server s3 = TestS3Server.start(dir.resolve("s3")); CuttingProxy net = new CuttingProxy(s3.port())) {
            s3.systemProperties().forEach(System::setProperty);
            try {
                s3.createBucket("walk");
                System.setProperty("aws.endpointUrl", s3.endpoint().toString());
                sender.vm("push", "s3://walk/golden", "walk").ok();   // no remote's name: the endpoint from aws.endpointUrl
                String via = "http://127.0.0.1:" + net.port();
                System.clearProperty("aws.endpointUrl");
                // a first lazy run through the network measures what such a run sends; the second is cut halfway
                Dom0Fixture measured = lazyFromS3(via);
                long before = net.sent();
                assertThat(measured.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET)).exit())
                        .isEqualTo(ExitCodes.BUDGET);
                long perRun = net.sent() - before;
                Dom0Fixture lazy = lazyFromS3(via);
                sameGeneration(unrun, lazy, "walk");
                net.cutAfter(perRun / 2);
                Dom0Fixture.Result cut = lazy.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET));
                assertThat(net.wasCut()).isTrue();
                assertThat(cut.exit()).as(cut.err()).isEqualTo(ExitCodes.FAILURE);
                assertThat(cut.err()).contains("(a page could not be faulted in").contains("promised by remote origin")
                        .doesNotContain("\tat ").doesNotContain("internal error");
                long saved = sinceHead(lazy, "walk");
                assertThat(saved).as("the run up to its last whole slice is saved").isPositive().isLessThan(BUDGET);
                assertThat(lazy.vm("fsck").ok().out()).contains("promised: ");

                net.heal();
                Dom0Fixture.Result rest = lazy.vm("run", "-i", "walk", "--max-instructions", Long.toString(BUDGET - saved));
                assertThat(rest.exit()).as(rest.err()).isEqualTo(ExitCodes.BUDGET);
                assertThat(sinceHead(lazy, "walk")).isEqualTo(BUDGET);
                assertThat(workingState(lazy, "walk")).as("the same StateId as one run in a full clone").isEqualTo(expected);
            } finally {
                s3.systemProperties().keySet().forEach(System::clearProperty);
                System.clearProperty("aws.endpointUrl");
            }
        }
    }

    /** A lazy clone of s3://walk/golden through the S3 endpoint {@code via}, its instance on branch walk. */
    private static Dom0Fixture lazyFromS3(String via) {
        Dom0Fixture c = new Dom0Fixture(dir.resolve("clone-" + clones++));
        Dom0Fixture.run("clone", "--lazy", "s3://walk/golden", c.repo.toString(), "--instance", "walk", "--endpoint", via)
                .ok();
        return c;
    }

    @Test
    void aBackgroundInstanceWhoseRemoteStopsIsSuspendedWithItsRunSaved() throws Exception {
        Path www = dir.resolve("www-bg");
        sender.vm("remote", "export", www.resolve("golden").toString()).ok();
        AtomicInteger armed = new AtomicInteger(-1);
        HttpServer server = serve(www, armed, 0);
        Dom0Fixture lazy = clone("http://127.0.0.1:" + server.getAddress().getPort() + "/golden", true, "walk");
        armed.set(12);
        try {
            lazy.vm("start", "-i", "walk").ok();
            Path exit = lazy.repo.resolve(".vmtree/dom0/exits/walk");
            for (int i = 0; i < 600 && !Files.exists(exit); i++) {
                Thread.sleep(100);
            }
            String ended = Files.readString(exit);
            assertThat(ended).contains("\"cause\":\"unavailable\"").contains("a page could not be faulted in")
                    .contains("\"crashed\":false");
            long saved = sinceHead(lazy, "walk");
            assertThat(saved).isPositive().isLessThan(BUDGET);
            assertThat(Dom0Fixture.field(ended, "state")).isEqualTo(workingState(lazy, "walk"));
        } finally {
            server.stop(0);
            lazy.killDaemon();
        }
    }

    /**
     * A static file server over {@code root} on {@code port} (0: any) that, once {@code armed} is set
     * above 0, counts pack reads down and at 0 stops: that read is dropped unanswered and the server
     * closed, as a server that goes away mid-run.
     */
    private static HttpServer serve(Path root, AtomicInteger armed, int port) throws Exception {
        var files = SimpleFileServer.createFileHandler(root.toAbsolutePath());
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        s.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            if (path.endsWith(".pack") && armed.get() > 0 && armed.decrementAndGet() == 0) {
                ex.close();
                Thread.ofPlatform().start(() -> s.stop(0));
                return;
            }
            files.handle(ex);
        });
        s.start();
        return s;
    }
}
