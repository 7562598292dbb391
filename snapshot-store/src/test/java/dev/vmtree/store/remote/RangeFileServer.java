package dev.vmtree.store.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP/1.1 static file server for tests: the JDK's com.sun.net.httpserver on 127.0.0.1
 * (port 0), serving a directory for GET and HEAD, with single-range {@code Range: bytes=a-b} and
 * {@code bytes=a-} requests answered 206 (the JDK's own SimpleFileServer ignores Range), 416 past
 * the end, and the query string ignored as a static server does. A {@link Hook} may answer a
 * request itself, to play a hostile or broken server. Every request is logged.
 */
public final class RangeFileServer implements AutoCloseable {
    /** One request as the server saw it; {@code from}/{@code to} are the range asked for (-1: none). */
    public record Request(String method, String path, long from, long to, String authorization) {}

    /** Answers a request instead of the server (returns true), or leaves it to it. */
    public interface Hook {
        boolean answer(HttpExchange ex, Request r, Path file) throws IOException;
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final Path root;
    private final HttpServer server;
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile Hook hook;

    public RangeFileServer(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + path);
    }

    public void hook(Hook h) {
        hook = h;
    }

    /** The requests so far, and forgets them. */
    public List<Request> take() {
        synchronized (requests) {
            List<Request> out = List.copyOf(requests);
            requests.clear();
            return out;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Matcher m = RANGE.matcher(String.valueOf(ex.getRequestHeaders().getFirst("Range")));
            long from = -1;
            long to = -1;
            if (m.matches()) {
                from = Long.parseLong(m.group(1));
                to = m.group(2).isEmpty() ? Long.MAX_VALUE : Long.parseLong(m.group(2));
            }
            Request r = new Request(ex.getRequestMethod(), path, from, to,
                    ex.getRequestHeaders().getFirst("Authorization"));
            requests.add(r);
            Path file = root.resolve(path.substring(1)).normalize();
            Hook h = hook;
            if (h != null && h.answer(ex, r, file)) {
                return;
            }
            boolean head = r.method().equals("HEAD");
            if (!head && !r.method().equals("GET")) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            long size = Files.size(file);
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            if (from >= 0 && from >= size) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + size);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            long start = 0;
            long length = size;
            int status = 200;
            if (from >= 0 && from <= to) {
                start = from;
                length = Math.min(to, size - 1) - from + 1;
                status = 206;
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (from + length - 1) + "/" + size);
            }
            if (head) {
                ex.getResponseHeaders().set("Content-Length", Long.toString(length));
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, length == 0 ? -1 : length);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); OutputStream out = ex.getResponseBody()) {
                ch.position(start);
                InputStream in = Channels.newInputStream(ch);
                byte[] buf = new byte[1 << 16];
                for (long left = length; left > 0; ) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        break;
                    }
                    out.write(buf, 0, n);
                    left -= n;
                }
            }
        }
    }

    /** Answers {@code status} with {@code body}: a helper for hooks. */
    public static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
