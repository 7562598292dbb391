package dev.vmtree.dom0.images;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a Unix {@code ar} archive (the outer layer of a .deb: deb(5)) as a stream of members. Only
 * the common format Debian writes: the global header {@code !<arch>\n}, then per member a 60-byte
 * header (name 16, mtime 12, uid 6, gid 6, mode 8, size 10, {@code `\n}) and the data padded to
 * an even length. GNU long names ({@code //}, {@code /N}) and BSD ones ({@code #1/N}) are refused:
 * dpkg never writes them. Every member size is checked against what the stream can still hold
 * ({@code remaining}), so a forged size is reported as truncation, never read as garbage.
 * Not thread-safe.
 */
public final class ArReader {
    static final byte[] MAGIC = "!<arch>\n".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 60;

    /** One member: its name (trailing spaces and a GNU-style {@code /} removed) and byte size. */
    public record Member(String name, long size) {}

    private final InputStream in;
    private long remaining;
    private long left;     // bytes of the current member's data not yet consumed
    private boolean pad;   // whether one padding byte follows the current member

    /** {@code length}: the archive's byte size when known (else {@link Long#MAX_VALUE}). */
    public ArReader(InputStream in, long length) throws IOException, PackageException {
        this.in = in;
        this.remaining = length;
        byte[] magic = new byte[MAGIC.length];
        if (readFully(magic) < magic.length || !java.util.Arrays.equals(magic, MAGIC)) {
            throw new PackageException("not a Debian package (no ar archive header)");
        }
        remaining -= magic.length;
    }

    /** The next member, or null at the end of the archive; its data is read through {@link #data()}. */
    public Member next() throws IOException, PackageException {
        skip(left, false);
        if (pad) {
            skip(1, true);
        }
        left = 0;
        pad = false;
        byte[] h = new byte[HEADER];
        int n = readFully(h);
        if (n == 0) {
            return null;
        }
        if (n < HEADER) {
            throw new PackageException("truncated ar archive (a member header of " + n + " of 60 bytes)");
        }
        remaining -= HEADER;
        if (h[58] != '`' || h[59] != '\n') {
            throw new PackageException("damaged ar archive (a member header without its end marker)");
        }
        String name = ascii(h, 0, 16).stripTrailing();
        if (name.startsWith("#1/") || name.startsWith("/")) {
            throw new PackageException("unsupported ar member name '" + name + "' (long names; dpkg writes none)");
        }
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new PackageException("damaged ar archive (a member name that is not printable)");
        }
        String sizeText = ascii(h, 48, 10).strip();
        if (sizeText.isEmpty() || !sizeText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new PackageException("damaged ar archive (member " + name + " has size '" + sizeText + "')");
        }
        long size = Long.parseLong(sizeText); // at most 10 digits: no overflow
        if (size > remaining) {
            throw new PackageException("truncated ar archive (member " + name + " claims " + size + " bytes, "
                    + remaining + " remain)");
        }
        left = size;
        pad = (size & 1) == 1;
        remaining -= size;
        if (pad && remaining > 0) {
            remaining--;
        }
        return new Member(name, size);
    }

    /** The current member's data; reading past its end returns -1. Valid until the next {@link #next()}. */
    public InputStream data() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left == 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n < 0) {
                    throw new EOFException("truncated ar archive (a member ends early)");
                }
                left -= n;
                return n;
            }
        };
    }

    /** {@code lenient}: for the pad byte, whose absence at the very end is harmless. */
    private void skip(long n, boolean lenient) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                if (lenient) {
                    return;
                }
                throw new EOFException("truncated ar archive (a member ends early)");
            }
            n -= r;
        }
    }

    private int readFully(byte[] b) throws IOException {
        int n = 0;
        while (n < b.length) {
            int r = in.read(b, n, b.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }

    private static String ascii(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.US_ASCII);
    }
}
