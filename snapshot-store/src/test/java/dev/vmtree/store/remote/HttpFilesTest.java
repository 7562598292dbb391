package dev.vmtree.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HttpFiles against a real HTTP server on 127.0.0.1 ({@link RangeFileServer}), honest and not. */
class HttpFilesTest {
    @TempDir
    Path dir;

    RangeFileServer server;
    HttpFiles files;
    byte[] data;

    @BeforeEach
    void serve() throws IOException {
        data = new byte[300_000];
        new Random(1).nextBytes(data);
        Files.createDirectories(dir.resolve("chunks"));
        Files.write(dir.resolve("chunks/pack-a.pack"), data);
        Files.writeString(dir.resolve("FORMAT"), "vmtree-store 1\n");
        server = new RangeFileServer(dir);
        files = new HttpFiles(server.uri(""));
    }

    @AfterEach
    void stop() {
        files.close();
        server.close();
    }

    private static byte[] readRange(RemoteFiles f, String path, long off, long len) throws IOException {
        try (InputStream in = f.read(path, off, len)) {
            return in.readAllBytes();
        }
    }

    @Test
    void readsWholeFilesAndRangesWithA206() throws IOException {
        assertThat(files.readAll("FORMAT", 4096)).isEqualTo("vmtree-store 1\n".getBytes(StandardCharsets.UTF_8));
        assertThat(readRange(files, "chunks/pack-a.pack", 1000, 5000)).isEqualTo(Arrays.copyOfRange(data, 1000, 6000));
        assertThat(server.take()).extracting(RangeFileServer.Request::from).containsExactly(-1L, 1000L);
        assertThat(readRange(files, "chunks/pack-a.pack", 7, 0)).isEmpty();
        assertThat(files.exists("FORMAT")).isTrue();
        assertThat(files.exists("chunks/pack-b.pack")).isFalse();
        assertThat(files.list("chunks")).isNull();
        assertThat(files.writable()).isFalse();
        assertThatThrownBy(() -> files.create("x")).hasMessageContaining("read-only");
    }

    @Test
    void aMissingFileIsNoSuchFileNamingItsUrl() {
        assertThatThrownBy(() -> files.readAll("chunks/packs", 100)).isInstanceOf(NoSuchFileException.class)
                .hasMessage(server.uri("chunks/packs").toString());
        assertThatThrownBy(() -> files.read("chunks/pack-b.pack", 0, 10)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aBodyOverTheCapIsRefusedWhileItStreams() throws IOException {
        AtomicLong sent = new AtomicLong();
        server.hook((ex, r, f) -> {
            ex.sendResponseHeaders(200, 0);   // chunked: no length to refuse it by
            try (OutputStream out = ex.getResponseBody()) {
                byte[] b = new byte[8192];
                for (int i = 0; i < 64 * 128; i++) {     // 64 MiB, if nobody stops it
                    out.write(b);
                    sent.addAndGet(b.length);
                }
            } catch (IOException e) {
                // the client hung up: what it should do
            }
            return true;
        });
        assertThatThrownBy(() -> files.readAll("chunks/packs", 100_000))
                .isInstanceOf(RemoteFiles.TooLargeException.class).hasMessage(server.uri("chunks/packs") + " is more than the 100000 bytes it may be");
        CountDownLatch release = new CountDownLatch(1);
        server.hook((ex, r, f) -> {
            ex.sendResponseHeaders(200, 5_000_000);
            ex.getResponseBody().flush();
            try {
                release.await(30, TimeUnit.SECONDS);   // the body never comes: refused by its declared length alone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("declared, never sent");
        });
        try {
            assertThatThrownBy(() -> files.readAll("FORMAT", 4096)).isInstanceOf(RemoteFiles.TooLargeException.class)
                    .hasMessageContaining("is 5000000 bytes, more than the 4096");
        } finally {
            release.countDown();
        }
        assertThat(sent.get()).isLessThan(32L << 20);
    }

    @Test
    void aServerIgnoringRangeIsReadBySkipping() throws IOException {
        server.hook((ex, r, f) -> {
            RangeFileServer.send(ex, 200, Files.readAllBytes(f));
            return true;
        });
        assertThat(readRange(files, "chunks/pack-a.pack", 250_000, 49_999)).isEqualTo(Arrays.copyOfRange(data, 250_000, 299_999));
        assertThatThrownBy(() -> readRange(files, "chunks/pack-a.pack", 299_000, 2000))
                .hasMessageContaining("is 300000 bytes: it has no bytes 299000-300999");
    }

    @Test
    void aWrongContentRangeOrA416IsRefused() {
        server.hook((ex, r, f) -> {
            if (r.from() == 5) {
                ex.getResponseHeaders().set("Content-Range", "bytes 0-9/300000");
                RangeFileServer.send(ex, 206, Arrays.copyOf(data, 10));
                return true;
            }
            return false;
        });
        assertThatThrownBy(() -> files.read("chunks/pack-a.pack", 5, 10))
                .hasMessageContaining("answered bytes 5-14 with 'bytes 0-9/300000'");
        assertThatThrownBy(() -> files.read("chunks/pack-a.pack", 400_000, 10))
                .hasMessageContaining("has no bytes 400000-400009 (HTTP 416): it is shorter than its index says");
    }

    @Test
    void aResponseCutMidwayEndsTheStreamWithAnError() throws IOException {
        server.hook((ex, r, f) -> {
            RangeFileServer.send(ex, 206, Arrays.copyOf(data, 10));   // no Content-Range
            return true;
        });
        assertThatThrownBy(() -> files.read("chunks/pack-a.pack", 0, 10)).hasMessageContaining("with ''");
        CountDownLatch cut = new CountDownLatch(1);
        server.hook((ex, r, f) -> {
            ex.getResponseHeaders().set("Content-Range", "bytes 0-9999/300000");
            ex.sendResponseHeaders(206, 10_000);
            ex.getResponseBody().write(data, 0, 4000);
            ex.getResponseBody().flush();
            try {
                cut.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("cut");   // the exchange closes short: the server drops the connection
        });
        try (InputStream in = files.read("chunks/pack-a.pack", 0, 10_000)) {
            assertThat(in.readNBytes(4000)).isEqualTo(Arrays.copyOf(data, 4000));
            cut.countDown();
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class)
                    .hasMessageContaining(server.uri("chunks/pack-a.pack").toString());
            assertThatThrownBy(in::read).isInstanceOf(IOException.class);   // never a clean end after that
        }
    }

    @Test
    void redirectsAreFollowedAFewTimesOnly() throws IOException {
        server.hook((ex, r, f) -> {
            if (r.path().startsWith("/old/")) {
                ex.getResponseHeaders().set("Location", "/" + r.path().substring(5));
                RangeFileServer.send(ex, 301, new byte[0]);
                return true;
            }
            if (r.path().startsWith("/loop")) {
                ex.getResponseHeaders().set("Location", "/loop" + (r.path().length() + 1));
                RangeFileServer.send(ex, 302, new byte[0]);
                return true;
            }
            return false;
        });
        try (HttpFiles old = new HttpFiles(server.uri("old/"))) {
            assertThat(old.readAll("FORMAT", 100)).hasSize(15);
        }
        try (HttpFiles loop = new HttpFiles(server.uri("loop/"))) {
            assertThatThrownBy(() -> loop.readAll("FORMAT", 100)).hasMessageContaining("more than 5 redirects");
        }
        assertThat(server.take()).hasSize(2 + 6);
    }

    @Test
    void credentialsGoToTheServerButNeverIntoMessages() throws IOException {
        URI withUser = URI.create("http://alice:s3cret@127.0.0.1:" + server.uri("").getPort() + "/");
        try (HttpFiles f = new HttpFiles(withUser)) {
            assertThat(f.describe()).doesNotContain("s3cret").doesNotContain("alice");
            assertThat(f.readAll("FORMAT", 100)).hasSize(15);
            assertThatThrownBy(() -> f.readAll("nothing", 100)).satisfies(e ->
                    assertThat(e.getMessage()).doesNotContain("s3cret"));
        }
        assertThat(server.take().getFirst().authorization())
                .isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("alice:s3cret".getBytes()));
    }

    @Test
    void withoutHeadExistsAsksForOneByte() throws IOException {
        server.hook((ex, r, f) -> {
            if (r.method().equals("HEAD")) {
                RangeFileServer.send(ex, 405, new byte[0]);
                return true;
            }
            return false;
        });
        assertThat(files.exists("FORMAT")).isTrue();
        assertThat(files.exists("nothing")).isFalse();
    }

    @Test
    void anEncodingNotAskedForIsRefused() {
        server.hook((ex, r, f) -> {
            ex.getResponseHeaders().set("Content-Encoding", "gzip");
            RangeFileServer.send(ex, 200, new byte[20]);
            return true;
        });
        assertThatThrownBy(() -> files.readAll("FORMAT", 100)).hasMessageContaining("Content-Encoding 'gzip'");
    }

    @Test
    void aServerThatStopsSendingFailsAfterTheIdleTimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server.hook((ex, r, f) -> {
            if (r.path().equals("/FORMAT")) {
                ex.sendResponseHeaders(200, 15);
                ex.getResponseBody().write('v');
                ex.getResponseBody().flush();
            }
            try {
                release.await(30, TimeUnit.SECONDS);   // never answers (the rest) while the client waits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        });
        try (HttpFiles f = new HttpFiles(server.uri(""), Duration.ofSeconds(5), Duration.ofMillis(300))) {
            assertThatThrownBy(() -> f.readAll("FORMAT", 100)).hasMessageContaining("FORMAT: no data for");
            assertThatThrownBy(() -> f.readAll("other", 100)).hasMessageContaining("other: no answer within");
        } finally {
            release.countDown();
        }
    }

    @Test
    void pathsAreCheckedAndEncoded() {
        assertThatThrownBy(() -> files.at("../x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> files.at("a//b")).isInstanceOf(IllegalArgumentException.class);
        assertThat(files.at("a b/c?d#e%41").getRawPath()).isEqualTo("/a%20b/c%3Fd%23e%2541");
        assertThat(files.at(".vmtree/FORMAT").toString()).isEqualTo(server.uri(".vmtree/FORMAT").toString());
    }
}
