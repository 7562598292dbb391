package dev.vmtree.dom0.images;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Reads a Debian binary package (deb(5)): an ar archive of {@code debian-binary} ("2.0"),
 * {@code control.tar[.xz|.zst|.gz]} and {@code data.tar[.xz|.zst|.gz]}. Only the data archive's
 * regular files are handed out, one at a time, to a {@link Visitor} that decides which to keep;
 * nothing is written to disk, so a hostile path can never land anywhere, but it is still refused
 * (an entry that is absolute or climbs with {@code ..} means the package is not what it claims).
 * Decompression is bounded: at most {@link #MAX_DATA} bytes of tar, and a visitor reads an entry
 * only up to the size the tar header declares, so a bomb ends as a clear error, never as an
 * exhausted heap. Not thread-safe.
 */
public final class DebPackage {
    /** The most uncompressed data.tar bytes read from one package (Debian's kernel: about 140 MB). */
    public static final long MAX_DATA = 4L << 30;
    /** xz's memory limit in KiB (a dictionary beyond it is refused before it is allocated). */
    static final int XZ_MEMORY_KIB = 256 << 10;

    /** A regular file of the data archive: its path without the leading "./" and its declared size. */
    public record FileEntry(String path, long size, int mode) {}

    /** Chooses the files of interest: called for each regular file, reading {@code data} or not. */
    @FunctionalInterface
    public interface Visitor {
        void file(FileEntry entry, InputStream data) throws IOException, PackageException;
    }

    private DebPackage() {}

    /** Reads {@code deb}, handing every regular file of its data archive to {@code visitor}. */
    public static void read(Path deb, Visitor visitor) throws IOException, PackageException {
        read(deb, MAX_DATA, visitor);
    }

    /** The same, reading at most {@code maxData} uncompressed tar bytes. */
    public static void read(Path deb, long maxData, Visitor visitor) throws IOException, PackageException {
        long length = Files.size(deb);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(deb), 1 << 16)) {
            read(raw, length, maxData, visitor);
        }
    }

    /** The same over a stream of {@code length} bytes (tests hand synthetic packages in memory). */
    public static void read(InputStream raw, long length, long maxData, Visitor visitor)
            throws IOException, PackageException {
        ArReader ar = new ArReader(raw, length);
        ArReader.Member first = ar.next();
        if (first == null || !first.name().equals("debian-binary")) {
            throw new PackageException("not a Debian package (its first member is "
                    + (first == null ? "missing" : "'" + first.name() + "'") + ", not debian-binary)");
        }
        byte[] version = ar.data().readNBytes(16);
        String v = new String(version, StandardCharsets.US_ASCII).strip();
        if (!v.startsWith("2.")) {
            throw new PackageException("unsupported Debian package format '" + v + "' (vmtree reads 2.x)");
        }
        boolean data = false;
        for (ArReader.Member m = ar.next(); m != null; m = ar.next()) {
            if (m.name().startsWith("data.tar")) {
                if (data) {
                    throw new PackageException("two data archives in one package");
                }
                data = true;
                readData(m.name(), ar.data(), maxData, visitor);
            }
        }
        if (!data) {
            throw new PackageException("not a Debian package (no data.tar member)");
        }
    }

    private static void readData(String member, InputStream in, long maxData, Visitor visitor) throws IOException, PackageException {
        InputStream tar;
        try {
            tar = switch (member) {
                case "data.tar" -> in;
                case "data.tar.xz" -> new XZCompressorInputStream(in, false, XZ_MEMORY_KIB);
                case "data.tar.zst" -> new ZstdCompressorInputStream(in);
                case "data.tar.gz" -> new GzipCompressorInputStream(in);
                default -> throw new PackageException("unsupported compression of " + member
                        + " (vmtree reads xz, zstd, gzip or none)");
            };
        } catch (IOException e) {
            throw new PackageException("damaged " + member + ": " + reason(e), e);
        }
        Bounded bounded = new Bounded(tar, maxData, member);
        try (TarArchiveInputStream t = new TarArchiveInputStream(bounded)) {
            for (TarArchiveEntry e = t.getNextEntry(); e != null; e = t.getNextEntry()) {
                String path = path(e.getName());
                if (!e.isFile()) {
                    continue;
                }
                if (e.getSize() < 0 || e.getSize() > maxData) {
                    throw new PackageException(member + ": " + path + " claims " + e.getSize() + " bytes, more than the "
                            + maxData + " one package may unpack to");
                }
                visitor.file(new FileEntry(path, e.getSize(), e.getMode()), t);
            }
        } catch (PackageException e) {
            throw e;
        } catch (LimitException e) {
            throw new PackageException(e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            // truncation, a corrupt block, a hostile header: all the package's fault
            throw new PackageException("damaged " + member + ": " + reason(e), e);
        }
    }

    /** A tar path made relative ("./usr/bin/x" -> "usr/bin/x"); absolute or climbing paths are refused. */
    static String path(String name) throws PackageException {
        String p = name;
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        if (p.startsWith("/") || p.contains("\0")) {
            throw new PackageException("hostile path '" + printable(name) + "' in the data archive (absolute)");
        }
        for (String part : p.split("/")) {
            if (part.equals("..")) {
                throw new PackageException("hostile path '" + printable(name) + "' in the data archive (leaves it)");
            }
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(c -> b.append(c < 0x20 || c == 0x7f ? '?' : (char) c));
        return b.toString();
    }

    static String reason(Throwable e) {
        String m = e.getMessage();
        if (e instanceof EOFException || m == null) {
            return "truncated (" + (m == null ? e.getClass().getSimpleName() : m) + ")";
        }
        return m.replace('\n', ' ');
    }

    /** Caps how many bytes a decompressor may produce: a decompression bomb ends here. */
    static final class Bounded extends FilterInputStream {
        private final long limit;
        private final String what;
        private long read;

        Bounded(InputStream in, long limit, String what) {
            super(in);
            this.limit = limit;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) {
                count(1);
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(long n) throws IOException {
            read += n;
            if (read > limit) {
                throw new LimitException(what + " decompresses to more than " + limit + " bytes (a decompression bomb?)");
            }
        }
    }

    /** A size limit hit while reading: reported as it is, not as damage. */
    static final class LimitException extends IOException {
        LimitException(String message) {
            super(message);
        }
    }
}
