package dev.vmtree.dom0.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One connection of the control protocol (docs/dom0-protocol.md): JSON objects, one per line,
 * UTF-8, each at most {@value #MAX_LINE} bytes. Reads come from one thread; {@link #send} may be
 * called from several (a console's output and its replies), one whole line at a time.
 */
public final class Wire implements AutoCloseable {
    /** Longest line either side accepts: a console chunk in base64 fits many times over. */
    public static final int MAX_LINE = 1 << 20;

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[8192];
    private int start, end;

    public Wire(SocketChannel channel) {
        this.channel = channel;
        this.in = Channels.newInputStream(channel);
        this.out = Channels.newOutputStream(channel);
    }

    /**
     * The next message, or null when the peer closed the connection at a line boundary. An
     * IOException for a broken connection; IllegalArgumentException for a line too long, not JSON,
     * or not an object.
     */
    public Map<String, Object> read() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (start == end) {
                int n = in.read(buf);
                if (n < 0) {
                    if (line.size() > 0) {
                        throw new IOException("connection closed in the middle of a message");
                    }
                    return null;
                }
                start = 0;
                end = n;
            }
            int nl = -1;
            for (int i = start; i < end; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int stop = nl < 0 ? end : nl;
            if (line.size() + stop - start > MAX_LINE) {
                throw new IllegalArgumentException("message longer than " + MAX_LINE + " bytes");
            }
            line.write(buf, start, stop - start);
            start = nl < 0 ? end : nl + 1;
            if (nl >= 0) {
                return Json.parseObject(line.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** Writes one message as one line. */
    public synchronized void send(Map<String, Object> message) throws IOException {
        byte[] b = (Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8);
        out.write(b);
        out.flush();
    }

    /**
     * The connection's bytes from the end of the last message read on, for a binary stream that
     * follows a message (the migration stream, docs/format.md). Until the stream ends, nothing else
     * reads this connection.
     */
    public InputStream streamIn() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                if (start < end) {
                    return buf[start++] & 0xff;
                }
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (start < end) {
                    int n = Math.min(len, end - start);
                    System.arraycopy(buf, start, b, off, n);
                    start += n;
                    return n;
                }
                return in.read(b, off, len);
            }
        };
    }

    /** Where a binary stream that follows a message is written; nothing else is sent until it ends. */
    public OutputStream streamOut() {
        return out;
    }

    /** The connection's channel (for peer credentials). */
    public SocketChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
