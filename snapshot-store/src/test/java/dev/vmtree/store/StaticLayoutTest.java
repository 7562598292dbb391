package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.store.remote.HttpFiles;
import dev.vmtree.store.remote.RangeFileServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, the static HTTP layout: {@link StaticLayout#export} writes it, a real HTTP server on
 * 127.0.0.1 serves it ({@link RangeFileServer}: com.sun.net.httpserver with Range support), and a
 * fetch reads it through JGit's dumb HTTP transport and {@link HttpFiles}.
 */
class StaticLayoutTest {
    @TempDir
    Path dir;

    private static final Duration LOCK = Duration.ofSeconds(10);
    RangeFileServer server;
    Path layout;

    @BeforeEach
    void serve() throws IOException {
        Files.createDirectories(dir.resolve("www"));
        layout = dir.resolve("www/golden");
        server = new RangeFileServer(dir.resolve("www"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Transfer.Remote http(Path cache) throws Exception {
        URI base = server.uri("golden/");
        HttpFiles files = new HttpFiles(base);
        assertThat(RemoteLayout.probe(files)).isEmpty();
        return new Transfer.Remote("origin", base.toString(), new URIish(base.resolve("meta.git").toString()),
                new PackFileChunks(files, "", cache), null);
    }

    private static Transfer.Result fetch(Repository repo, Transfer.Remote remote) throws IOException {
        try (ChunkRemote c = remote.chunks()) {
            return Transfer.fetch(repo, remote, TransferTest::tracking, false, new Transfer.Counters(), LOCK, m -> {});
        }
    }

    private static Transfer.Result export(Repository repo, Path to) throws IOException {
        return StaticLayout.export(repo, to, false, new Transfer.Counters(), LOCK, m -> {});
    }

    @Test
    void anExportFetchedOverHttpHasEveryPageAndTag() throws Exception {
        byte[][] pages = TestImages.mixed(900, 1);
        SnapshotId id;
        try (Repository a = Repository.init(dir.resolve("a"))) {
            id = TransferTest.commit(a, "main", pages, "one");
            TransferTest.commit(a, "other", TestImages.mixed(20, 2), "two");
            try (WriteTransaction tx = a.beginWrite()) {
                assertThat(tx.createAnnotatedTag("refs/tags/golden", id, "t", "t@x", "golden", null, "tag").ok()).isTrue();
            }
            Transfer.Result r = export(a, layout);
            assertThat(r.refs()).hasSize(3).allSatisfy(u -> assertThat(u.outcome()).isEqualTo(Transfer.Outcome.NEW));
        }
        assertThat(Files.readString(layout.resolve("meta.git/HEAD"))).isEqualTo("ref: refs/heads/main\n");
        assertThat(Files.readAllLines(layout.resolve("meta.git/info/refs"))).hasSize(4)
                .anySatisfy(l -> assertThat(l).isEqualTo(id.hex() + "\trefs/tags/golden^{}"));
        assertThat(Files.readAllLines(layout.resolve(StaticLayout.PACKS)).getFirst()).isEqualTo("# vmtree-packs 1");
        try (Repository c = Repository.init(dir.resolve("c"))) {
            Transfer.Result r = fetch(c, http(dir.resolve("c/.vmtree/remotes/origin")));
            assertThat(r.remoteHead()).isEqualTo("refs/heads/main");
            assertThat(r.snapshots()).isEqualTo(2);
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", id).containsEntry("refs/tags/golden", id);
            assertThat(c.readTag("refs/tags/golden")).isPresent();
            PageTree t = c.pageTree(c.readSnapshot(id).content().images().get("ram"));
            for (int i = 0; i < pages.length; i++) {
                assertThat(t.page(i)).as("page %d", i).isEqualTo(pages[i]);
            }
            assertThat(c.fsck().ok()).isTrue();
        }
        assertThat(server.take()).extracting(RangeFileServer.Request::path)
                .contains("/golden/meta.git/info/refs", "/golden/chunks/packs");
    }

    @Test
    void aReExportedUpdateMovesOnlyNewChunksAndNewIndexes() throws Exception {
        byte[][] pages = TestImages.mixed(3000, 3);
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            TransferTest.commit(a, "main", pages, "one");
            export(a, layout);
            Path cache = dir.resolve("c/.vmtree/remotes/origin");
            fetch(c, http(cache));
            List<String> before = names(layout.resolve("chunks"));
            Random r = new Random(5);
            for (int k = 0; k < 10; k++) {
                pages[1 + 3 * r.nextInt(999)] = TestImages.randomPage(r);
            }
            SnapshotId two = TransferTest.commit(a, "main", pages, "two");
            Transfer.Result up = export(a, layout);
            assertThat(up.chunks()).isBetween(10L, 22L);
            List<String> fresh = names(layout.resolve("chunks")).stream().filter(n -> !before.contains(n)).toList();
            assertThat(fresh).hasSize(2);   // one pack and its index
            server.take();
            Transfer.Result down = fetch(c, http(cache));
            assertThat(down.chunks()).isEqualTo(up.chunks());
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", two);
            List<RangeFileServer.Request> asked = server.take();
            assertThat(asked).filteredOn(q -> q.path().startsWith("/golden/chunks/pack-"))
                    .allSatisfy(q -> assertThat(fresh).contains(q.path().substring("/golden/chunks/".length())))
                    .anySatisfy(q -> assertThat(q.path()).endsWith(".idx"));
            long packBytes = asked.stream().filter(q -> q.path().endsWith(".pack")).mapToLong(q -> q.to() - q.from() + 1).sum();
            assertThat(packBytes).isLessThan(200_000);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFetchCutMidwayResumesAndTheSecondMovesOnlyTheRest() throws Exception {
        byte[][] pages = TestImages.mixed(64 * 40, 9);
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            SnapshotId id = TransferTest.commit(a, "main", pages, "a");
            long all = export(a, layout).chunks();
            AtomicInteger packReads = new AtomicInteger();
            server.hook((ex, q, f) -> {
                if (!q.path().startsWith("/golden/chunks/pack-") || !q.path().endsWith(".pack")
                        || packReads.incrementAndGet() != 42) {
                    return false;
                }
                long len = q.to() - q.from() + 1;
                ex.getResponseHeaders().set("Content-Range", "bytes " + q.from() + "-" + q.to() + "/" + Files.size(f));
                ex.sendResponseHeaders(206, len);
                ex.getResponseBody().write(new byte[(int) len / 2]);
                ex.getResponseBody().flush();
                throw new IOException("the connection drops halfway through the answer");
            });
            Path cache = dir.resolve("c/.vmtree/remotes/origin");
            Transfer.Remote cut = http(cache);
            Transfer.Counters first = new Transfer.Counters();
            try (ChunkRemote ch = cut.chunks()) {
                assertThatThrownBy(() -> Transfer.fetch(c, cut, TransferTest::tracking, false, first, LOCK, m -> {}))
                        .isInstanceOf(IOException.class).hasMessageContaining(".pack");
            }
            assertThat(c.refs()).doesNotContainKey("refs/remotes/origin/main");
            // the root and the 40 level-1 nodes (one read each) were verified and kept; the leaves' read was cut
            assertThat(first.chunks.sum()).isEqualTo(41);
            Transfer.Result second = fetch(c, http(cache));
            assertThat(second.chunks()).isEqualTo(all - first.chunks.sum());
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", id);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    /** A hostile layout: the fetch fails with one line and the repository is as it was. */
    private void refused(Consumer<Path> damage, String message) throws Exception {
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            TransferTest.commit(a, "main", TestImages.mixed(300, 4), "theirs");
            export(a, layout);
            damage.accept(layout);
            SnapshotId mine = TransferTest.commit(c, "main", TestImages.mixed(9, 5), "mine");
            List<String> chunks = names(c.chunks().directory());
            List<String> objects;
            try (Stream<Path> s = Files.walk(c.gitDirectory().resolve("objects"))) {
                objects = s.map(Path::toString).sorted().toList();
            }
            assertThatThrownBy(() -> fetch(c, http(dir.resolve("c/.vmtree/remotes/origin"))))
                    .hasMessageContaining(message).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThat(c.refs()).isEqualTo(Map.of("refs/heads/main", mine));
            assertThat(names(c.chunks().directory())).isEqualTo(chunks);
            try (Stream<Path> s = Files.walk(c.gitDirectory().resolve("objects"))) {
                assertThat(s.map(Path::toString).sorted().toList()).isEqualTo(objects);
            }
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    private static Path only(Path chunks, String suffix) {
        try (Stream<Path> s = Files.list(chunks)) {
            return s.filter(p -> p.toString().endsWith(suffix)).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void rewrite(Path f, java.util.function.UnaryOperator<byte[]> change) {
        try {
            Files.write(f, change.apply(Files.readAllBytes(f)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aTruncatedIndexIsRefused() throws Exception {
        refused(l -> rewrite(only(l.resolve("chunks"), ".idx"), b -> java.util.Arrays.copyOf(b, b.length - 7)),
                "is not a pack index");
    }

    @Test
    void aForgedChunkIsRefused() throws Exception {
        refused(l -> rewrite(only(l.resolve("chunks"), ".pack"), b -> {
            b[b.length / 2] ^= 1;
            return b;
        }), "damaged or forged");
    }

    @Test
    void aListingBeyondItsCapIsRefusedAsItStreams() throws Exception {
        server.hook((ex, q, f) -> {
            if (!q.path().endsWith("/chunks/packs")) {
                return false;
            }
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                byte[] line = "pack-0123456789abcdef0123456789abcdef\n".getBytes();
                for (int i = 0; i < 2_000_000; i++) {   // 74 MB if nobody stops it
                    out.write(line);
                }
            } catch (IOException e) {
                // the client hung up
            }
            return true;
        });
        refused(l -> {}, "is more than the " + PackFileChunks.MAX_LISTING + " bytes it may be");
    }

    @Test
    void refsNamingMissingObjectsAreRefused() throws Exception {
        refused(l -> rewrite(l.resolve("meta.git/info/refs"),
                b -> ("0123456789abcdef0123456789abcdef01234567\trefs/heads/main\n").getBytes()), "cannot fetch from");
    }

    @Test
    void aNewerLayoutIsRefused() throws Exception {
        refused(l -> rewrite(l.resolve(StaticLayout.PACKS), b -> "# vmtree-packs 2\n".getBytes()),
                "layout version '2', which this vmtree does not read");
    }

    @Test
    void anExportUpdatesInPlaceAndRefusesAWorkingRepository() throws Exception {
        try (Repository a = Repository.init(dir.resolve("a"))) {
            TransferTest.commit(a, "main", TestImages.mixed(30, 6), "one");
            export(a, layout);
            Transfer.Result again = export(a, layout);
            assertThat(again.refs()).singleElement().satisfies(u -> assertThat(u.outcome()).isEqualTo(Transfer.Outcome.UP_TO_DATE));
            assertThat(again.chunks()).isZero();
            assertThatThrownBy(() -> export(a, dir.resolve("a")))
                    .isInstanceOf(TransferException.class).hasMessageContaining("working directory");
            Files.writeString(dir.resolve("stray"), "x");
            assertThatThrownBy(() -> export(a, dir.resolve("stray"))).hasMessageContaining("is a file");
        }
        try (Repository b = Repository.openStore(layout)) {
            assertThat(b.fsck().ok()).isTrue();
        }
    }
}
