package dev.vmtree.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A tar writer for hostile bundles: unlike Commons Compress it writes whatever it is given, so a
 * header may declare a size other than its data's, name any type, carry PAX records or a name of any
 * length (as a GNU long-name entry). Records of 512 bytes, no padding to a block, so seeds stay small.
 */
final class TarBytes {
    private TarBytes() {}

    static final int BLOCK = 512;
    static final byte FILE = '0';
    static final byte PAX = 'x';
    static final byte GNU_LONG_NAME = 'L';

    /**
     * One entry: {@code name} in ISO-8859-1 (byte-transparent), a type flag, the size the header
     * declares (-1: the data's), the data, and PAX records ("key=value") put in front of it.
     */
    record Entry(String name, byte type, long declared, byte[] data, List<String> pax) {
        Entry(String name, byte[] data) {
            this(name, FILE, -1, data, List.of());
        }

        Entry withName(String n) {
            return new Entry(n, type, declared, data, pax);
        }

        Entry withType(byte t) {
            return new Entry(name, t, declared, data, pax);
        }

        Entry withDeclared(long d) {
            return new Entry(name, type, d, data, pax);
        }

        Entry withData(byte[] d) {
            return new Entry(name, type, declared, d, pax);
        }

        Entry withPax(String record) {
            List<String> p = new ArrayList<>(pax);
            p.add(record);
            return new Entry(name, type, declared, data, p);
        }
    }

    /** The entries of a well-formed tar (a bundle that {@link Bundle#create} wrote), in order. */
    static List<Entry> read(byte[] tar) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (InputStream in = new java.io.ByteArrayInputStream(tar);
             TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                out.add(new Entry(e.getName(), t.readAllBytes()));
            }
        }
        return out;
    }

    /**
     * {@code tar} as {@link Bundle#create} writes it (ustar headers, each entry after a PAX header with
     * its {@code mtime}) with every modification time set to 0, digits replaced in place so no length
     * changes, and the header checksums redone: the same bundle, byte for byte, each time it is made.
     */
    static byte[] zeroTimes(byte[] tar) {
        byte[] t = tar.clone();
        byte[] mtime = "mtime=".getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at + BLOCK <= t.length && t[at] != 0; ) {
            long size = Long.parseLong(new String(t, at + 124, 11, StandardCharsets.US_ASCII).trim(), 8);
            if (t[at + 156] == PAX) {
                byte[] records = java.util.Arrays.copyOfRange(t, at + BLOCK, at + BLOCK + (int) size);
                int m = GitPackBounds.indexOf(records, mtime);
                for (int i = m < 0 ? records.length : m + mtime.length; i < records.length && records[i] != '\n'; i++) {
                    if (records[i] != '.') {
                        t[at + BLOCK + i] = '0';
                    }
                }
            }
            octal(t, at + 136, 12, 0);
            java.util.Arrays.fill(t, at + 148, at + 156, (byte) ' ');
            long sum = 0;
            for (int i = 0; i < BLOCK; i++) {
                sum += t[at + i] & 0xff;
            }
            octal(t, at + 148, 7, sum);
            t[at + 155] = ' ';
            at += BLOCK + (int) ((size + BLOCK - 1) / BLOCK * BLOCK);
        }
        return t;
    }

    static byte[] write(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Entry e : entries) {
            byte[] name = e.name().getBytes(StandardCharsets.ISO_8859_1);
            if (!e.pax().isEmpty()) {
                ByteArrayOutputStream records = new ByteArrayOutputStream();
                for (String r : e.pax()) {
                    records.writeBytes(paxRecord(r));
                }
                entry(out, "./PaxHeaders/x".getBytes(StandardCharsets.ISO_8859_1), PAX, -1, records.toByteArray());
            }
            if (name.length > 100) {
                byte[] longName = java.util.Arrays.copyOf(name, name.length + 1);
                entry(out, "././@LongLink".getBytes(StandardCharsets.ISO_8859_1), GNU_LONG_NAME, -1, longName);
            }
            entry(out, name, e.type(), e.declared(), e.data());
        }
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    /** A PAX record "LEN key=value\n", LEN counting itself. */
    private static byte[] paxRecord(String keyValue) {
        int body = keyValue.getBytes(StandardCharsets.UTF_8).length + 2;
        int len = body + String.valueOf(body).length();
        if (String.valueOf(len).length() != String.valueOf(body).length()) {
            len++;
        }
        return (len + " " + keyValue + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void entry(ByteArrayOutputStream out, byte[] name, byte type, long declared, byte[] data) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        long size = declared < 0 ? data.length : declared;
        if (size < 077777777777L) {
            octal(h, 124, 12, size);
        } else {                                  // base-256, as GNU tar and Commons Compress write big sizes
            h[124] = (byte) 0x80;
            for (int i = 0; i < 8; i++) {
                h[135 - i] = (byte) (size >>> (8 * i));
            }
        }
        octal(h, 136, 12, 0);
        h[156] = type;
        byte[] magic = "ustar\u000000".getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(magic, 0, h, 257, magic.length);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        out.writeBytes(h);
        out.writeBytes(data);
        out.writeBytes(new byte[(BLOCK - data.length % BLOCK) % BLOCK]);
    }

    /** {@code len - 1} octal digits and a NUL. */
    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        s = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, b.length - (len - 1), h, off, len - 1);
        h[off + len - 1] = 0;
    }
}
