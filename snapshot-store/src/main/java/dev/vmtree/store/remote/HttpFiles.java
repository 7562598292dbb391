package dev.vmtree.store.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link RemoteFiles} on a static web server (docs/format.md, "HTTP static layout"): read-only,
 * through the JDK's HttpClient. Whole files are read with a size cap enforced while the body
 * streams; ranges with {@code Range: bytes=a-b}, taking a 206 only with the matching
 * {@code Content-Range}, and a 200 (a server that ignores Range) by skipping to the offset. A
 * response that stalls for the idle timeout fails, redirects are followed at most
 * {@link #MAX_REDIRECTS} times and never from https to http, and every error is one line naming
 * the URL without its credentials. Thread-safe.
 */
public final class HttpFiles implements RemoteFiles {
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** A response whose headers or next bytes do not come within this fails. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int MAX_REDIRECTS = 5;
    private static final String HEX = "0123456789ABCDEF";
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)");

    private final URI base;
    private final String shown;
    private final String authorization;
    private final Duration idle;
    private final HttpClient client;

    /** A layout at {@code base} (http or https); a user:password in it is sent as Basic auth, to that origin only. */
    public HttpFiles(URI base) {
        this(base, CONNECT_TIMEOUT, IDLE_TIMEOUT);
    }

    public HttpFiles(URI base, Duration connectTimeout, Duration idleTimeout) {
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null || base.isOpaque()) {
            throw new IllegalArgumentException("not an http(s) URL: " + withoutUserInfo(base));
        }
        String path = base.getRawPath() == null || base.getRawPath().isEmpty() ? "/" : base.getRawPath();
        URI b = build(scheme, null, base.getHost(), base.getPort(), path.endsWith("/") ? path : path + "/");
        this.base = b;
        this.shown = b.toString();
        String user = base.getRawUserInfo();
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                decode(user).getBytes(StandardCharsets.UTF_8));
        this.idle = idleTimeout;
        this.client = HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static URI build(String scheme, String userInfo, String host, int port, String rawPath) {
        try {
            String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
            return new URI(scheme + "://" + (userInfo == null ? "" : userInfo + "@") + h + (port < 0 ? "" : ":" + port)
                    + rawPath);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not an http(s) URL: " + scheme + "://" + host + rawPath);
        }
    }

    private static String decode(String rawUserInfo) {
        return java.net.URLDecoder.decode(rawUserInfo.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String withoutUserInfo(URI u) {
        return u.toString().replaceFirst("//[^/@]*@", "//");
    }

    @Override
    public String describe() {
        return shown;
    }

    @Override
    public boolean concurrentReads() {
        return true;  // every read is a request of its own
    }

    @Override
    public boolean writable() {
        return false;
    }

    /** The URL of {@code path} under the base: every segment a checked name, each byte but unreserved ones percent-encoded. */
    URI at(String path) {
        if (path.isEmpty()) {
            return base;
        }
        StringBuilder raw = new StringBuilder("./");
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (i == segments.length - 1 && segments[i].isEmpty() && i > 0) {
                break;  // "dir/": a trailing slash
            }
            for (byte b : RemoteFiles.checkName(segments[i]).getBytes(StandardCharsets.UTF_8)) {
                char c = (char) (b & 0xff);
                if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0)) {
                    raw.append(c);
                } else {
                    raw.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
                }
            }
            raw.append(i < segments.length - 1 ? "/" : "");
        }
        return base.resolve(raw.toString());
    }

    private String shown(String path) {
        return at(path).toString();
    }

    @Override
    public boolean exists(String path) throws IOException {
        HttpResponse<InputStream> r = send(path, "HEAD", null);
        int s = r.statusCode();
        r.body().close();
        if (s == 405 || s == 501) {  // no HEAD here: ask for one byte instead
            r = send(path, "GET", "bytes=0-0");
            s = r.statusCode();
            r.body().close();
            if (s == 416) {
                return true;  // an empty file
            }
        }
        if (s == 404 || s == 410) {
            return false;
        }
        if (s >= 200 && s < 300) {
            return true;
        }
        throw status(path, s);
    }

    @Override
    public byte[] readAll(String path, int max) throws IOException {
        HttpResponse<InputStream> r = send(path, "GET", null);
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                throw status(path, r.statusCode());
            }
            identity(path, r);
            OptionalLong declared = r.headers().firstValueAsLong("Content-Length");
            if (declared.isPresent() && declared.getAsLong() > max) {
                throw new TooLargeException(shown(path) + " is " + declared.getAsLong() + " bytes, more than the " + max
                        + " it may be");
            }
            byte[] b = in.readNBytes(max);
            if (in.read() >= 0) {
                throw new TooLargeException(shown(path) + " is more than the " + max + " bytes it may be");
            }
            if (declared.isPresent() && b.length != declared.getAsLong()) {
                throw new IOException(shown(path) + " ended after " + b.length + " of its " + declared.getAsLong() + " bytes");
            }
            return b;
        }
    }

    @Override
    public InputStream read(String path, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        long last = offset + length - 1;
        HttpResponse<InputStream> r = send(path, "GET", "bytes=" + offset + "-" + last);
        InputStream in = r.body();
        try {
            int s = r.statusCode();
            if (s == 416) {
                throw new IOException(shown(path) + " has no bytes " + offset + "-" + last + " (HTTP 416): it is shorter"
                        + " than its index says");
            }
            if (s != 206 && s != 200) {
                throw status(path, s);
            }
            identity(path, r);
            OptionalLong declared = r.headers().firstValueAsLong("Content-Length");
            if (s == 206) {
                checkContentRange(shown(path), r.headers().firstValue("Content-Range").orElse(""), offset, last);
                if (declared.isPresent() && declared.getAsLong() != length) {
                    throw new IOException(shown(path) + " sends " + declared.getAsLong() + " bytes for a range of " + length);
                }
            } else {
                // the server ignores Range: the whole file comes, so skip to the offset
                if (declared.isPresent() && declared.getAsLong() < offset + length) {
                    throw new IOException(shown(path) + " is " + declared.getAsLong() + " bytes: it has no bytes "
                            + offset + "-" + last);
                }
                try {
                    in.skipNBytes(offset);
                } catch (java.io.EOFException e) {
                    throw new IOException(shown(path) + " ended before byte " + offset);
                }
            }
            return new BoundedInputStream(in, length);  // closing it closes (and so cancels) the response
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Refuses a Content-Encoding nobody asked for: offsets and sizes are of the file's own bytes. */
    private void identity(String path, HttpResponse<?> r) throws IOException {
        String enc = r.headers().firstValue("Content-Encoding").orElse("identity").strip();
        if (!enc.equalsIgnoreCase("identity")) {
            throw new IOException(shown(path) + " came with Content-Encoding '" + enc.replaceAll("\\p{Cntrl}", "?")
                    + "', which was not asked for");
        }
    }

    private IOException status(String path, int status) {
        if (status == 404 || status == 410) {
            return new NoSuchFileException(shown(path));
        }
        return new IOException(shown(path) + ": HTTP " + status + (status == 401 || status == 403
                ? " (the server wants credentials this URL does not carry, or refuses them)" : ""));
    }

    /** Sends one request, following at most {@link #MAX_REDIRECTS} redirects; the body is the caller's to close. */
    private HttpResponse<InputStream> send(String path, String method, String range) throws IOException {
        URI uri = at(path);
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(idle).header("User-Agent", "vmtree")
                    .method(method, HttpRequest.BodyPublishers.noBody());
            if (authorization != null && sameOrigin(uri, base)) {
                b.header("Authorization", authorization);
            }
            if (range != null) {
                b.header("Range", range);
            }
            HttpResponse<InputStream> r;
            try {
                r = client.send(b.build(), info -> new IdleTimeoutBody(idle, () -> shown(path)));
            } catch (HttpTimeoutException e) {
                throw new IOException(shown(path) + ": no answer within " + idle.toSeconds() + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(shown(path) + ": interrupted");
            } catch (IOException e) {
                throw new IOException(shown(path) + ": " + reason(e), e);
            }
            int s = r.statusCode();
            if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
                return r;
            }
            r.body().close();
            if (hop == MAX_REDIRECTS) {
                throw new IOException(shown(path) + ": more than " + MAX_REDIRECTS + " redirects");
            }
            String location = r.headers().firstValue("Location")
                    .orElseThrow(() -> new IOException(shown(path) + ": HTTP " + s + " without a Location"));
            URI next;
            try {
                next = uri.resolve(new URI(location.strip()));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IOException(shown(path) + ": redirected to a bad URL");
            }
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || next.getHost() == null) {
                throw new IOException(shown(path) + ": redirected to something not http(s)");
            }
            if (uri.getScheme().equalsIgnoreCase("https") && scheme.equals("http")) {
                throw new IOException(shown(path) + ": redirected from https to plain http, which vmtree refuses");
            }
            uri = build(scheme, null, next.getHost(), next.getPort(),
                    (next.getRawPath() == null || next.getRawPath().isEmpty() ? "/" : next.getRawPath())
                            + (next.getRawQuery() == null ? "" : "?" + next.getRawQuery()));
        }
    }

    /**
     * Refuses a 206 answer whose {@code Content-Range} is not exactly bytes {@code offset-last} (any
     * total, or "*"); the message shows at most 64 printable characters of what the server sent.
     */
    static void checkContentRange(String where, String contentRange, long offset, long last) throws IOException {
        Matcher m = CONTENT_RANGE.matcher(contentRange.strip());
        if (!m.matches() || Long.parseLong(m.group(1)) != offset || Long.parseLong(m.group(2)) != last) {
            throw new IOException(where + " answered bytes " + offset + "-" + last + " with '"
                    + RemoteFiles.shown(contentRange) + "'");
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                String m = t.getMessage();
                int nl = m.indexOf('\n');
                return (t instanceof java.net.ConnectException ? "cannot connect: " : "") + (nl < 0 ? m : m.substring(0, nl));
            }
        }
        return e instanceof java.net.ConnectException ? "cannot connect" : e.getClass().getSimpleName();
    }

    @Override
    public List<String> list(String dir) {
        return null;
    }

    private IOException readOnly() {
        return new IOException(shown + " is read-only (a static HTTP layout)");
    }

    @Override
    public void mkdirs(String dir) throws IOException {
        throw readOnly();
    }

    @Override
    public OutputStream create(String path) throws IOException {
        throw readOnly();
    }

    @Override
    public void rename(String from, String to) throws IOException {
        throw readOnly();
    }

    @Override
    public void delete(String path) throws IOException {
        throw readOnly();
    }

    @Override
    public void close() {
        client.close();
    }
}
