package dev.vmtree.dom0.net;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Ethernet frames over a byte stream, each behind its length as a 32-bit big-endian number: QEMU's
 * {@code -netdev stream} framing, which passt speaks on its Unix socket (docs/format.md, "Frame
 * stream"). Used for the host link and wherever frames cross a socket.
 *
 * <p>The peer is not trusted: a length above {@link #MAX_LENGTH} means the stream is not this
 * protocol (or is out of step) and ends it with an {@link IOException}; a length within it that is
 * not a plausible frame ({@link Frames#plausible}: a runt, a jumbo frame) is read past and counted,
 * and reading goes on. No length decides an allocation: frames are read into the reader's own buffer.
 */
public final class FrameStream {
    private FrameStream() {}

    /** The largest length the protocol carries (passt's largest MTU plus a header). */
    public static final int MAX_LENGTH = 65_535 + 14;

    /** Reads frames from one stream. Not thread-safe. */
    public static final class Reader {
        private final InputStream in;
        private final byte[] buffer = new byte[Frames.MAX];
        private final byte[] skip = new byte[8192];
        private long skipped;

        public Reader(InputStream in) {
            this.in = in;
        }

        /**
         * The next frame into {@link #buffer()}, returning its length, or -1 at a clean end of stream
         * (between frames). Throws EOFException for a stream cut inside a frame, IOException for a
         * length past {@link #MAX_LENGTH}.
         */
        public int next() throws IOException {
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    return -1;
                }
                long length = (long) b0 << 24 | (long) readByte() << 16 | readByte() << 8 | readByte();
                if (length > MAX_LENGTH) {
                    throw new IOException("frame stream: a length of " + length + " bytes (at most " + MAX_LENGTH
                            + "): not a frame stream, or out of step");
                }
                int n = (int) length;
                if (!Frames.plausible(n)) {
                    skipBytes(n);
                    skipped++;
                    continue;
                }
                readFully(buffer, n);
                return n;
            }
        }

        /** The buffer {@link #next} filled; valid until the next call. */
        public byte[] buffer() {
            return buffer;
        }

        /** Frames read past because they could not be frames. */
        public long skipped() {
            return skipped;
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("frame stream: cut inside a frame's length");
            }
            return b;
        }

        private void readFully(byte[] into, int n) throws IOException {
            for (int done = 0; done < n; ) {
                int r = in.read(into, done, n - done);
                if (r < 0) {
                    throw new EOFException("frame stream: cut inside a frame");
                }
                done += r;
            }
        }

        private void skipBytes(int n) throws IOException {
            for (int done = 0; done < n; ) {
                int r = in.read(skip, 0, Math.min(skip.length, n - done));
                if (r < 0) {
                    throw new EOFException("frame stream: cut inside a frame");
                }
                done += r;
            }
        }
    }

    /** Writes one frame behind its length. The caller flushes and serialises writers. */
    public static void write(OutputStream out, byte[] frame, int offset, int length) throws IOException {
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("a frame of " + length + " bytes");
        }
        out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        out.write(frame, offset, length);
    }
}
