package dev.vmtree.dom0.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes what an S3 server answers, as {@link S3Files} takes it (docs/security.md, "Fuzzing"): a
 * real HTTP server on 127.0.0.1 gives the fuzzer's status, headers and body to every request, and
 * the AWS SDK parses it (its XML listings and error documents) before S3Files turns it into names,
 * bytes or an answer. Any input ends in a result or an {@code IOException} with one printable line,
 * never another exception; no name leaves the prefix asked for.
 *
 * <p>Input framing: byte 0 picks the call (list, listRecursive, readAll, a ranged read, a
 * conditional create), byte 1 the status (200, 206, 304, 404, 412, 409, 500, 501, 403), byte 2 the
 * Content-Range ({@code none}, the one asked for, another), the rest is the body.
 */
class S3ResponseFuzzTest {
    private static final int[] STATUS = {200, 206, 304, 404, 412, 409, 500, 501, 403};
    private static final AtomicReference<byte[]> ANSWER = new AtomicReference<>(new byte[3]);
    private static HttpServer server;
    private static S3Files files;

    private static synchronized S3Files files() throws IOException {
        if (files == null) {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", ex -> {
                byte[] in = ANSWER.get();
                int status = STATUS[(in[1] & 0xff) % STATUS.length];
                byte[] body = Arrays.copyOfRange(in, 3, in.length);
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().add("Content-Type", "application/xml");
                switch ((in[2] & 0xff) % 3) {
                    case 1 -> ex.getResponseHeaders().add("Content-Range", "bytes 0-9/" + Math.max(10, body.length));
                    case 2 -> ex.getResponseHeaders().add("Content-Range", "bytes 3-12/99");
                    default -> { }
                }
                if (ex.getRequestMethod().equals("HEAD") || status == 304) {
                    ex.sendResponseHeaders(status, -1);
                } else {
                    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
                    ex.getResponseBody().write(body);
                }
                ex.close();
            });
            server.start();
            URI ep = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
            var settings = S3Settings.of(Map.of("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s", "AWS_REGION",
                    "us-east-1"), Path.of(System.getProperty("java.io.tmpdir")));
            files = new S3Files(S3Settings.client(settings.resolve(ep, "fuzz"), 1), "bucket", "pre/fix", "s3://bucket/pre/fix");
        }
        return files;
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            files.close();
            server.stop(0);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void answer(byte[] input) throws Exception {
        if (input.length < 3) {
            return;
        }
        S3Files f = files();
        ANSWER.set(input);
        try {
            switch ((input[0] & 0xff) % 5) {
                case 0 -> f.list("chunks").forEach(n -> assertThat(n).isNotEmpty().doesNotContain("/"));
                case 1 -> assertThat(f.listRecursive("meta/refs/", null, 1000)).allSatisfy(n -> assertThat(n).isNotEmpty())
                        .hasSizeLessThanOrEqualTo(1000);
                case 2 -> assertThat(f.readAll("FORMAT", 4096).length).isLessThanOrEqualTo(4096);
                case 3 -> {
                    try (InputStream in = f.read("chunks/pack-0.pack", 0, 10)) {
                        assertThat(in.readNBytes(20).length).isLessThanOrEqualTo(10);
                    }
                }
                default -> f.createIfAbsent("meta/refs/heads/main/00000000000000000001", new byte[] {1, 2, 3});
            }
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            assertThat(m.length()).as(m).isLessThanOrEqualTo(600);
            assertThat(m.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as("printable: %s", m).isTrue();
        }
    }
}
