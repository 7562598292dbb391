package dev.vmtree.dom0.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on 127.0.0.1 that passes bytes through to a server until the clients have sent
 * {@link #cutAfter} bytes in all, then drops every connection and refuses new ones until
 * {@link #heal}: a network that fails in the middle of an upload, as a cable pull would.
 */
public final class CuttingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final AtomicLong sent = new AtomicLong();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile long budget = Long.MAX_VALUE;
    private volatile boolean cut;

    public CuttingProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("cutting-proxy").start(this::accept);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The bytes clients have sent through it so far. */
    public long sent() {
        return sent.get();
    }

    /** From now on, cut everything once {@code bytes} more have gone from clients to the server. */
    public void cutAfter(long bytes) {
        budget = sent.get() + bytes;
    }

    public boolean wasCut() {
        return cut;
    }

    /** Passes connections through again. */
    public void heal() {
        budget = Long.MAX_VALUE;
        cut = false;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket c = listener.accept();
                if (cut) {
                    c.close();
                    continue;
                }
                Socket s = new Socket(InetAddress.getLoopbackAddress(), target);
                open.add(c);
                open.add(s);
                Thread.ofPlatform().daemon().start(() -> pump(c, s, true));
                Thread.ofPlatform().daemon().start(() -> pump(s, c, false));
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean upstream) {
        byte[] buf = new byte[16 << 10];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (upstream && sent.addAndGet(n) > budget) {
                    cut = true;
                    for (Socket s : open) {
                        s.close();
                    }
                    return;
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // one side went away: the other follows
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // already closed
            }
            open.remove(from);
            open.remove(to);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
