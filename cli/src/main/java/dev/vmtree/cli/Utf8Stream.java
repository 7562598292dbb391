package dev.vmtree.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Guest output arriving in chunks, decoded as UTF-8 without splitting a character across two chunks. */
final class Utf8Stream {
    private final PrintWriter out;
    private byte[] carry = new byte[0];

    Utf8Stream(PrintWriter out) {
        this.out = out;
    }

    void write(byte[] chunk) {
        byte[] b = carry.length == 0 ? chunk : concat(carry, chunk);
        int cut = completeUpTo(b);
        out.write(new String(b, 0, cut, StandardCharsets.UTF_8));
        out.flush();
        carry = Arrays.copyOfRange(b, cut, b.length);
    }

    /** The length of the longest prefix that does not end inside a multi-byte sequence. */
    static int completeUpTo(byte[] b) {
        for (int back = 1; back <= Math.min(3, b.length); back++) {
            int c = b[b.length - back] & 0xff;
            if (c < 0x80) {
                return b.length;
            }
            if (c >= 0xc0) {
                int need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                return need > back ? b.length - back : b.length;
            }
        }
        return b.length;
    }

    void finish() {
        if (carry.length > 0) {
            out.write(new String(carry, StandardCharsets.UTF_8));
            carry = new byte[0];
        }
        out.flush();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
