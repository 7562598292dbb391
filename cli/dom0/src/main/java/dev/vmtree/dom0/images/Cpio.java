package dev.vmtree.dom0.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The cpio "newc" format (magic {@code 070701}) that Linux unpacks as its initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header
 * of 13 eight-digit hex fields (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize, check), the NUL-terminated name padded to 4 bytes, then the data
 * padded to 4; the archive ends with an entry named {@code TRAILER!!!}. The writer stamps every
 * entry with uid/gid 0 and mtime 0 so the same input gives the same bytes.
 */
public final class Cpio {
    private Cpio() {}

    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFCHR = 0020000;
    private static final String TRAILER = "TRAILER!!!";

    /** One entry: its path (no leading '/'), mode (type and permissions), data, and device numbers. */
    public record Entry(String name, int mode, byte[] data, int rdevMajor, int rdevMinor) {
        public static Entry dir(String name) {
            return new Entry(name, S_IFDIR | 0755, new byte[0], 0, 0);
        }

        public static Entry file(String name, int perm, byte[] data) {
            return new Entry(name, S_IFREG | perm, data, 0, 0);
        }

        public static Entry symlink(String name, String target) {
            return new Entry(name, S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8), 0, 0);
        }

        public static Entry charDevice(String name, int perm, int major, int minor) {
            return new Entry(name, S_IFCHR | perm, new byte[0], major, minor);
        }
    }

    /** Writes {@code entries} and the trailer to {@code out}. */
    public static void write(List<Entry> entries, OutputStream out) throws IOException {
        long[] pos = {0};
        int ino = 1;
        for (Entry e : entries) {
            header(out, pos, ino++, e.mode(), (e.mode() & 0170000) == S_IFDIR ? 2 : 1,
                    e.data().length, e.rdevMajor(), e.rdevMinor(), e.name());
            out.write(e.data());
            pos[0] += e.data().length;
            pad(out, pos);
        }
        header(out, pos, 0, 0, 1, 0, 0, 0, TRAILER);
    }

    public static byte[] toBytes(List<Entry> entries) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            write(entries, b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    private static void header(OutputStream out, long[] pos, int ino, int mode, int nlink, int size, int rmaj, int rmin,
                               String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        String h = "070701" + hex(ino) + hex(mode) + hex(0) + hex(0) + hex(nlink) + hex(0) + hex(size) + hex(0) + hex(0)
                + hex(rmaj) + hex(rmin) + hex(n.length + 1) + hex(0);
        out.write(h.getBytes(StandardCharsets.US_ASCII));
        out.write(n);
        out.write(0);
        pos[0] += h.length() + n.length + 1;
        pad(out, pos);
    }

    private static void pad(OutputStream out, long[] pos) throws IOException {
        while ((pos[0] & 3) != 0) {
            out.write(0);
            pos[0]++;
        }
    }

    private static String hex(long v) {
        return String.format("%08x", v);
    }

    /** Reads a newc archive back (tests, `image show`): every entry before the trailer, checked. */
    public static List<Entry> read(byte[] b) throws PackageException {
        List<Entry> out = new ArrayList<>();
        int p = 0;
        while (true) {
            if (b.length - p < 110) {
                throw new PackageException("truncated cpio archive (no trailer)");
            }
            String magic = new String(b, p, 6, StandardCharsets.US_ASCII);
            if (!magic.equals("070701") && !magic.equals("070702")) {
                throw new PackageException("not a newc cpio archive at byte " + p);
            }
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) {
                String field = new String(b, p + 6 + 8 * i, 8, StandardCharsets.US_ASCII);
                try {
                    f[i] = Long.parseLong(field, 16);
                } catch (NumberFormatException e) {
                    throw new PackageException("damaged cpio header at byte " + p);
                }
            }
            long nameSize = f[11];
            long fileSize = f[6];
            int nameAt = p + 110;
            if (nameSize < 1 || nameSize > b.length - nameAt) {
                throw new PackageException("truncated cpio archive (a name past the end)");
            }
            String name = new String(b, nameAt, (int) nameSize - 1, StandardCharsets.UTF_8);
            long dataAt = align(nameAt + nameSize);
            if (name.equals(TRAILER)) {
                return out;
            }
            if (fileSize > b.length - dataAt) {
                throw new PackageException("truncated cpio archive (" + name + " past the end)");
            }
            byte[] data = java.util.Arrays.copyOfRange(b, (int) dataAt, (int) (dataAt + fileSize));
            out.add(new Entry(name, (int) f[1], data, (int) f[9], (int) f[10]));
            p = (int) align(dataAt + fileSize);
        }
    }

    private static long align(long v) {
        return (v + 3) & ~3L;
    }
}
