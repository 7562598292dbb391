package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal NBD client (fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies) for tests of `disk
 * serve`, so they need no qemu-io: the protocol constants are the NBD specification's.
 */
final class NbdTestClient implements AutoCloseable {
    private static final long NBDMAGIC = 0x4e42444d41474943L, IHAVEOPT = 0x49484156454F5054L;
    private static final int REQUEST_MAGIC = 0x25609513, SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int OPT_EXPORT_NAME = 1, CMD_WRITE = 1, CMD_DISC = 2, CMD_FLUSH = 3;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private long handle;
    final long size;

    /** Connects to {@code url} (nbd://HOST:PORT/NAME, as `disk serve` prints it) and opens its export. */
    NbdTestClient(String url) throws IOException {
        var m = java.util.regex.Pattern.compile("nbd://([0-9.]+):([0-9]+)/(.+)").matcher(url);
        assertThat(m.matches()).as(url).isTrue();
        socket = new Socket(InetAddress.getByName(m.group(1)), Integer.parseInt(m.group(2)));
        socket.setSoTimeout(60_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        assertThat(in.readLong()).isEqualTo(NBDMAGIC);
        assertThat(in.readLong()).isEqualTo(IHAVEOPT);
        in.readShort();
        out.writeInt(3);                 // fixed newstyle, no zeroes
        byte[] name = m.group(3).getBytes(StandardCharsets.UTF_8);
        out.writeLong(IHAVEOPT);
        out.writeInt(OPT_EXPORT_NAME);
        out.writeInt(name.length);
        out.write(name);
        out.flush();
        size = in.readLong();
        in.readShort();                  // transmission flags
    }

    /** Writes {@code data} at {@code offset}; the server's error (0: success). */
    int write(long offset, byte[] data) throws IOException {
        request(CMD_WRITE, offset, data.length);
        out.write(data);
        out.flush();
        return reply();
    }

    int flush() throws IOException {
        request(CMD_FLUSH, 0, 0);
        out.flush();
        return reply();
    }

    private void request(int type, long offset, int length) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(++handle);
        out.writeLong(offset);
        out.writeInt(length);
    }

    private int reply() throws IOException {
        assertThat(in.readInt()).isEqualTo(SIMPLE_REPLY_MAGIC);
        int error = in.readInt();
        assertThat(in.readLong()).isEqualTo(handle);
        return error;
    }

    /** NBD_CMD_DISC, then closes the socket. */
    @Override
    public void close() throws IOException {
        try {
            request(CMD_DISC, 0, 0);
            out.flush();
        } finally {
            socket.close();
        }
    }
}
