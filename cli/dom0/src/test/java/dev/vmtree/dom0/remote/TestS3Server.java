package dev.vmtree.dom0.remote;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server for tests: S3Proxy (org.gaul:s3proxy), its self-contained jar run
 * as a process of its own on 127.0.0.1 at a free port, with its own classpath (its logback and
 * cloud SDKs never join vmtree's), storing objects in a directory, and checking AWS signatures
 * (v2 and v4) against one fixed key pair. Maven copies the jars into cli/dom0/target/s3proxy/
 * (the pom's "s3proxy" execution); without them a test is skipped, saying so.
 *
 * <p>{@link #start} runs S3Proxy {@code 4.x}, whose file store enforces conditional creates
 * (If-None-Match: *); {@link #startIgnoringConditionalWrites} runs {@code 2.6.0}, which accepts
 * the header and writes anyway, as some S3-compatible servers do.
 */
public final class TestS3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "vmtree-test-access";
    public static final String SECRET_KEY = "vmtree-test-secret-0123456789";
    public static final String REGION = "us-east-1";

    private final Process process;
    private final int port;
    private final Path log;

    private TestS3Server(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static TestS3Server start(Path dir) throws Exception {
        return start(dir, "4.", "filesystem-nio2");
    }

    public static TestS3Server startIgnoringConditionalWrites(Path dir) throws Exception {
        return start(dir, "2.6.", "filesystem");
    }

    /** The S3Proxy jar whose version starts with {@code version}; the test is skipped when there is none. */
    static Path jar(String version) throws IOException {
        Path d = Path.of(System.getProperty("vmtree.project.root", "."), "cli", "dom0", "target", "s3proxy");
        if (Files.isDirectory(d)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(d, "s3proxy-" + version + "*-jar-with-dependencies.jar")) {
                for (Path p : s) {
                    return p;
                }
            }
        }
        Assumptions.abort("S3Proxy " + version + "x is not in " + d + ": the S3 tests need it; Maven copies it there"
                + " from Maven Central (bin/build -pl cli/dom0 -am verify)");
        return null;
    }

    private static TestS3Server start(Path dir, String version, String provider) throws Exception {
        Path jar = jar(version);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=" + provider,
                "jclouds.filesystem.basedir=" + data.toAbsolutePath(),
                ""));
        Path log = dir.resolve("s3proxy.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        TestS3Server server = new TestS3Server(p, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("S3Proxy exited (" + p.exitValue() + "): " + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return server;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    server.close();
                    throw new IllegalStateException("S3Proxy did not listen on " + port + " within 90 s: "
                            + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** The settings a client of this server uses: its key pair, its region; the endpoint is the remote's. */
    public S3Settings settings(Path home) {
        Map<String, String> m = new HashMap<>();
        m.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        m.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        m.put("AWS_REGION", REGION);
        return S3Settings.of(m, home);
    }

    /** The same settings with the endpoint in AWS_ENDPOINT_URL, as a user of AWS tools would give it. */
    public S3Settings settingsWithEndpoint(Path home) {
        Map<String, String> m = new HashMap<>();
        m.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        m.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        m.put("AWS_REGION", REGION);
        m.put("AWS_ENDPOINT_URL", endpoint().toString());
        return S3Settings.of(m, home);
    }

    /** The system properties that give the same to an in-process `vmtree` (set by the CLI tests). */
    public Map<String, String> systemProperties() {
        return Map.of("aws.accessKeyId", ACCESS_KEY, "aws.secretAccessKey", SECRET_KEY, "aws.region", REGION);
    }

    /** A client of this server, for a test to make buckets and look at objects. */
    public S3Client client(Path home) {
        return S3Settings.client(settings(home).resolve(endpoint(), "test"));
    }

    public void createBucket(String bucket) {
        try (S3Client c = client(Path.of(System.getProperty("java.io.tmpdir")))) {
            c.createBucket(b -> b.bucket(bucket));
        }
    }

    /** Every key in {@code bucket}. */
    public List<String> keys(String bucket) {
        try (S3Client c = client(Path.of(System.getProperty("java.io.tmpdir")))) {
            return c.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(o -> o.key()).toList();
        }
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
