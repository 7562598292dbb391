package dev.vmtree.cow.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Network Block Device server (fixed newstyle negotiation, simple replies) exporting vmtree disks
 * so real tools (qemu-img, qemu-io, the Linux nbd client) can read and write them. Binds
 * 127.0.0.1 unless told otherwise; port 0 picks a free port, which {@link #port()} returns.
 *
 * <p>Each client runs on its own virtual thread. Requests to one export are serialized by that
 * export's lock, so the disk sees one writer at a time and a client's write is visible to every
 * later read on any connection (hence CAN_MULTI_CONN). The first export is also the default
 * export that an empty name ({@code nbd://127.0.0.1:PORT}) selects.
 *
 * <p>A misbehaving client (bad magic, oversized or out-of-range requests, early disconnect) gets an
 * error reply or has its own connection closed; the server and the other clients carry on. A client
 * that sends nothing for the idle timeout is disconnected, so {@link #MAX_CLIENTS} silent clients
 * cannot hold every slot forever.
 */
public final class NbdServer implements AutoCloseable {

    /** Most clients connected at once; more are disconnected on accept. */
    public static final int MAX_CLIENTS = 16;

    /** How long a client may send nothing before it is disconnected, unless the caller says otherwise. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);

    private final ServerSocket socket;
    private final Duration idleTimeout;
    private final Map<String, Served> exports = new LinkedHashMap<>();
    private final Served defaultExport;
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Semaphore slots = new Semaphore(MAX_CLIENTS);
    private final Thread acceptor;
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch firstGone = new java.util.concurrent.CountDownLatch(1);

    /** An export and the lock serializing access to its device. */
    record Served(NbdExport export, ReentrantLock lock) {}

    private NbdServer(ServerSocket socket, List<NbdExport> list, Duration idleTimeout) {
        this.socket = socket;
        this.idleTimeout = idleTimeout;
        for (NbdExport e : list) {
            if (exports.putIfAbsent(e.name(), new Served(e, new ReentrantLock())) != null) {
                throw new IllegalArgumentException("two exports named '" + e.name() + "'");
            }
        }
        this.defaultExport = exports.get(list.getFirst().name());
        this.acceptor = Thread.ofPlatform().daemon().name("nbd-accept-" + socket.getLocalPort()).unstarted(this::acceptLoop);
    }

    /** Serves {@code exports} on 127.0.0.1:{@code port} (0 for any free port). */
    public static NbdServer start(int port, List<NbdExport> exports) throws IOException {
        return start(InetAddress.getLoopbackAddress(), port, exports);
    }

    /** Serves {@code exports} on {@code host}:{@code port} with the {@link #DEFAULT_IDLE_TIMEOUT}. */
    public static NbdServer start(InetAddress host, int port, List<NbdExport> exports) throws IOException {
        return start(host, port, exports, DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * Serves {@code exports} on {@code host}:{@code port}; a client silent for {@code idleTimeout}
     * (between requests or inside one) is disconnected; {@link Duration#ZERO} never disconnects one.
     */
    public static NbdServer start(InetAddress host, int port, List<NbdExport> exports, Duration idleTimeout)
            throws IOException {
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("nothing to export");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("negative idle timeout " + idleTimeout);
        }
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(host, port), 50);
            NbdServer server = new NbdServer(s, exports, idleTimeout);
            server.acceptor.start();
            return server;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The port the server listens on (the one picked when started with port 0). */
    public int port() {
        return socket.getLocalPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The socket read timeout for a client between and inside requests, in ms; 0 for none. */
    int idleTimeoutMillis() {
        return idleTimeout.isZero() ? 0 : (int) Math.clamp(idleTimeout.toMillis(), 1, Integer.MAX_VALUE);
    }

    /** The export a client asked for by name; the empty name means the default export. */
    Served find(String name) {
        Served s = exports.get(name);
        return s == null && name.isEmpty() ? defaultExport : s;
    }

    Iterable<String> exportNames() {
        return exports.keySet();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue; // a failed accept concerns one client, not the server
            }
            if (!slots.tryAcquire()) {
                closeQuietly(client);
                continue;
            }
            clients.add(client);
            Thread.ofVirtual().name("nbd-client-" + client.getPort()).start(() -> {
                try {
                    new NbdConnection(this, client).run();
                } finally {
                    // The slot is free before the client sees its connection end, so a client that
                    // reconnects once hung up on always finds it.
                    clients.remove(client);
                    slots.release();
                    closeQuietly(client);
                    firstGone.countDown();
                }
            });
        }
    }

    /** Blocks until the first client has disconnected (or the server closed); for one-shot exports. */
    public void awaitFirstDisconnect() throws InterruptedException {
        while (!closed && !firstGone.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            // wait on
        }
    }

    /** Stops accepting and disconnects every client. Idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            clients.forEach(NbdServer::closeQuietly);
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing left to do for a socket we are dropping anyway
        }
    }

    @Override
    public String toString() {
        return "NbdServer[" + address() + ", exports " + exports.keySet() + "]";
    }
}
