package dev.vmtree.cow.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A byte-level NBD client for tests that must send what a polite client never would. */
final class RawNbdClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    record OptionReply(int option, int type, byte[] data) {}

    RawNbdClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    /** Reads the server greeting and sends fixed-newstyle, no-zeroes client flags. */
    RawNbdClient hello() throws IOException {
        assertThat(in.readLong()).isEqualTo(NbdProtocol.NBDMAGIC);
        assertThat(in.readLong()).isEqualTo(NbdProtocol.IHAVEOPT);
        assertThat(in.readShort() & 3).isEqualTo(3);
        out.writeInt(3);
        return this;
    }

    void option(int option, byte[] data) throws IOException {
        out.writeLong(NbdProtocol.IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply optionReply() throws IOException {
        assertThat(in.readLong()).isEqualTo(NbdProtocol.OPTION_REPLY_MAGIC);
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** NBD_OPT_GO for {@code name}; reads replies up to ACK and returns the export size. */
    long go(String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        option(NbdProtocol.OPT_GO, java.nio.ByteBuffer.allocate(6 + n.length).putInt(n.length).put(n).putShort((short) 0).array());
        long size = -1;
        while (true) {
            OptionReply r = optionReply();
            if (r.type() == NbdProtocol.REP_ACK) {
                return size;
            }
            assertThat(r.type()).isEqualTo(NbdProtocol.REP_INFO);
            var b = java.nio.ByteBuffer.wrap(r.data());
            if (b.getShort() == NbdProtocol.INFO_EXPORT) {
                size = b.getLong();
            }
        }
    }

    void request(int type, long handle, long offset, long length) throws IOException {
        out.writeInt(NbdProtocol.REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeInt((int) length);
        out.flush();
    }

    /** Reads a simple reply for {@code handle} and returns its error (0 for success). */
    int reply(long handle) throws IOException {
        assertThat(in.readInt()).isEqualTo(NbdProtocol.SIMPLE_REPLY_MAGIC);
        int error = in.readInt();
        assertThat(in.readLong()).isEqualTo(handle);
        return error;
    }

    /** True when the server has closed the connection (EOF within the socket timeout). */
    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
