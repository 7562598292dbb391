package dev.vmtree.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A real server of the control protocol's "cli" op on a Unix socket, in the test's JVM: each
 * connection gets its own thread and {@link ForwardedCommand#serveConnection}. The daemon will
 * serve the same op beside the others; this one lets the client be tested without it.
 */
final class CliSocketServer implements AutoCloseable {
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    private CliSocketServer(Path socket, ServerSocketChannel server) {
        this.socket = socket;
        this.server = server;
        this.acceptor = Thread.ofPlatform().daemon().name("cli-socket-server").start(this::accept);
    }

    /** Listens on {@code socket} (its directory is made owner-only, as the daemon's). */
    static CliSocketServer start(Path socket) throws IOException {
        Files.createDirectories(socket.getParent(), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        return new CliSocketServer(socket, s);
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return;     // closed
            }
            Thread.ofPlatform().daemon().start(() -> {
                try (c) {
                    ForwardedCommand.serveConnection(c);
                } catch (IOException e) {
                    // the client went away
                }
            });
        }
    }

    /** Stops listening; {@code leaveSocket} keeps the socket file, as a killed daemon does (a stale socket). */
    void stop(boolean leaveSocket) throws IOException {
        server.close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!leaveSocket) {
            Files.deleteIfExists(socket);
        }
    }

    @Override
    public void close() throws IOException {
        stop(false);
    }
}
