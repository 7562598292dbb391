package dev.vmtree.cli;

import dev.vmtree.dom0.service.Dom0Paths;
import dev.vmtree.dom0.service.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code vmtree} entry point (bin/vmtree runs it). A short read-only command
 * ({@link Forwardable}) in a repository whose Dom0 daemon is running goes over the daemon's control
 * socket, {@code .vmtree/dom0/socket} (docs/dom0-protocol.md, "op cli"), and this process only
 * copies the daemon's output and exit status: it loads java.base and a few small classes (the
 * protocol's Json, Dom0Paths), not picocli, JGit or the toolstack. Anything else, or when there is no daemon (no socket, a socket
 * nobody listens on, a daemon that declines), or with VMTREE_NO_DAEMON=1, runs here through
 * {@link Main}, as before. docs/cli.md, "Short commands and the daemon".
 */
public final class Launcher {
    /** {@link #forward}'s answer when the command did not run in a daemon. */
    static final int NOT_FORWARDED = -1;

    private Launcher() {}

    public static void main(String[] args) {
        PrintStream out = System.out;
        int status = forward(List.of(args), Path.of("").toAbsolutePath(), System.getenv(), out, System.err);
        if (status == NOT_FORWARDED) {
            Main.main(args);
            return;
        }
        out.flush();
        System.exit(status);
    }

    /**
     * Runs {@code argv} in the daemon of the repository found from {@code cwd} (or -C), copying its
     * output to {@code out} and {@code err}; returns its exit status, or {@link #NOT_FORWARDED}
     * when it did not run there (then nothing was written).
     */
    static int forward(List<String> argv, Path cwd, Map<String, String> env, OutputStream out, OutputStream err) {
        if ("1".equals(env.get("VMTREE_NO_DAEMON")) || !Forwardable.forwardable(argv)) {
            return NOT_FORWARDED;
        }
        String dir = Forwardable.directory(argv);
        Path top = find(dir == null ? cwd : cwd.resolve(dir));
        if (top == null) {
            return NOT_FORWARDED;   // Main says "not a vmtree repository"
        }
        Path socket = Dom0Paths.of(top).socket();
        if (!Files.exists(socket)) {
            return NOT_FORWARDED;
        }
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException | RuntimeException e) {
            return NOT_FORWARDED;
        }
        boolean wrote = false;
        try (ch) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException | RuntimeException e) {
                return NOT_FORWARDED;   // a stale socket: the daemon is gone
            }
            ByteBuffer request = ByteBuffer.wrap(Json.write(request(argv, cwd, env)).concat("\n")
                    .getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining()) {
                ch.write(request);
            }
            BufferedReader replies = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            for (String line; (line = replies.readLine()) != null; ) {
                Map<String, Object> m = Json.parseObject(line);
                if (m.get("event") instanceof String event) {
                    if (m.get("data") instanceof String data && (event.equals("stdout") || event.equals("stderr"))) {
                        OutputStream to = event.equals("stdout") ? out : err;
                        to.write(Base64.getDecoder().decode(data));
                        to.flush();
                        wrote = true;
                    }
                    continue;   // an event this client does not know
                }
                if (Boolean.TRUE.equals(m.get("ok")) && m.get("exit") instanceof Long exit) {
                    return exit.intValue();
                }
                // declined (another build, not forwardable there...): run it here unless it began there
                return wrote ? failed(err, "the daemon failed: " + m.get("error")) : NOT_FORWARDED;
            }
            return wrote ? failed(err, "the daemon closed " + socket + " before the command ended") : NOT_FORWARDED;
        } catch (IOException | RuntimeException e) {
            return wrote ? failed(err, "lost the daemon (" + socket + "): " + e.getMessage()) : NOT_FORWARDED;
        }
    }

    /** The "cli" request for {@code argv}. */
    private static Map<String, Object> request(List<String> argv, Path cwd, Map<String, String> env) {
        Map<String, String> sent = new LinkedHashMap<>();
        for (String k : Forwardable.SENT) {
            if (env.get(k) != null) {
                sent.put(k, env.get(k));
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("v", 1);
        r.put("op", "cli");
        r.put("argv", argv);
        r.put("cwd", cwd.toString());
        r.put("env", sent);
        r.put("tty", Tty.interactive());
        r.put("encoding", System.getProperty("stdout.encoding", "UTF-8"));
        r.put("build", Forwardable.build());
        return r;
    }

    /** The directory holding {@code .vmtree/}, searching {@code start} and its parents (as Repository.find). */
    static Path find(Path start) {
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(".vmtree"))) {
                return p;
            }
        }
        return null;
    }

    private static int failed(OutputStream err, String message) {
        try {
            err.write(("vmtree: " + message + "\n").getBytes(StandardCharsets.UTF_8));
            err.flush();
        } catch (IOException ignored) {
            // nowhere left to say it
        }
        return ExitCodes.CANNOT_RUN;
    }
}
