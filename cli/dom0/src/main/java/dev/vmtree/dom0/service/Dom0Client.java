package dev.vmtree.dom0.service;

import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.fs.OwnerOnly;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A connection to a repository's Dom0 daemon, for the commands that talk to it (start, ps, stop,
 * pause, resume, attach, logs, commit of a running instance). {@link #connect} finds a live daemon;
 * {@link #connectOrSpawn} starts one when there is none, cleaning up after a dead one (its socket
 * left behind while nobody holds its lock). Threading: one request at a time per client.
 */
public final class Dom0Client implements AutoCloseable {
    private final Wire wire;

    private Dom0Client(Wire wire) {
        this.wire = wire;
    }

    /** The live daemon of the repository at {@code top}, or empty when none listens (a stale socket included). */
    public static Optional<Dom0Client> connect(Path top) {
        Path socket = Dom0Paths.of(top).socket();
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        try {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
                return Optional.of(new Dom0Client(new Wire(c)));
            } catch (IOException e) {
                c.close();
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The repository's daemon, started with {@code spawn} when none is live (under
     * {@code .vmtree/dom0/spawn.lock}, so two clients starting at once start one daemon), waiting up
     * to {@code wait} for its socket. CANNOT_RUN, with the end of its log, when it does not come up.
     */
    public static Dom0Client connectOrSpawn(Path top, Consumer<Dom0Paths> spawn, Duration wait) {
        Optional<Dom0Client> live = connect(top);
        if (live.isPresent()) {
            return live.get();
        }
        Dom0Paths paths = Dom0Paths.of(top);
        try {
            OwnerOnly.createDirectories(paths.dir());
            try (FileChannel ch = FileChannel.open(paths.dir().resolve("spawn.lock"),
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), OwnerOnly.file());
                 FileLock ignored = ch.lock()) {
                live = connect(top);
                if (live.isPresent()) {
                    return live.get();
                }
                spawn.accept(paths);
                long deadline = System.nanoTime() + wait.toNanos();
                while (System.nanoTime() < deadline) {
                    live = connect(top);
                    if (live.isPresent()) {
                        return live.get();
                    }
                    Thread.sleep(20);
                }
            }
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot start Dom0: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "Dom0 did not start within "
                + wait.toSeconds() + " s; see " + paths.log());
    }

    /** Sends a request ({@code "v"} added) and returns the final reply; a refusal becomes its ToolstackException. */
    public Map<String, Object> call(Map<String, Object> request) {
        send(request);
        return reply(e -> {});
    }

    /**
     * Reads messages until the event named {@code event}, which it returns; a final reply before it is
     * returned as it is when it succeeded, else thrown as its ToolstackException.
     */
    public Map<String, Object> awaitEvent(String event) {
        return reply(null, event);
    }

    /** Where a binary stream that follows a request is written (the migration stream). */
    public java.io.OutputStream streamOut() {
        return wire.streamOut();
    }

    /** Sends a request without waiting. */
    public void send(Map<String, Object> request) {
        Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("v", (long) Dom0Daemon.PROTOCOL);
        r.putAll(request);
        try {
            wire.send(r);
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /**
     * Reads messages until the final reply, handing each event to {@code events}; returns the final
     * reply, or throws the ToolstackException it carries (its kind as the daemon named it).
     */
    public Map<String, Object> reply(Consumer<Map<String, Object>> events) {
        return reply(events, null);
    }

    private Map<String, Object> reply(Consumer<Map<String, Object>> events, String until) {
        try {
            while (true) {
                Map<String, Object> m = wire.read();
                if (m == null) {
                    throw new Lost("Dom0 closed the connection before it answered (see .vmtree/dom0/daemon.log)", null);
                }
                if (m.containsKey("event")) {
                    if (until != null && until.equals(m.get("event"))) {
                        return m;
                    }
                    if (events != null) {
                        events.accept(m);
                    }
                    continue;
                }
                if (Boolean.TRUE.equals(m.get("ok"))) {
                    return m;
                }
                ToolstackException.Kind kind;
                try {
                    kind = ToolstackException.Kind.valueOf(String.valueOf(m.get("kind")));
                } catch (IllegalArgumentException e) {
                    kind = ToolstackException.Kind.FAILED;
                }
                throw new ToolstackException(kind, String.valueOf(m.get("error")));
            }
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /** The connection ended before the daemon answered: what was asked may or may not have been done. */
    public static final class Lost extends ToolstackException {
        Lost(String message, Throwable cause) {
            super(Kind.CANNOT_RUN, message, cause);
        }
    }

    private static ToolstackException lost(IOException e) {
        return new Lost("lost the connection to Dom0: " + e.getMessage(), e);
    }

    public Wire wire() {
        return wire;
    }

    @Override
    public void close() {
        wire.close();
    }
}
