package dev.vmtree.cow.qcow2;

import dev.vmtree.cow.disk.DiskImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The decoded, validated header of a qcow2 file (versions 2 and 3, as described in QEMU's
 * docs/interop/qcow2.txt). {@link #read} rejects anything this reader cannot import faithfully or
 * that would make it allocate without bound, with a one-line message naming the file.
 *
 * @param backingFile  backing file name as stored (not yet resolved or trusted), or null
 * @param backingFormat backing format from the header extension ("qcow2", "raw"), or null
 */
public record Qcow2Header(
        int version,
        int clusterBits,
        long size,
        int l1Size,
        long l1TableOffset,
        long refcountTableOffset,
        int refcountTableClusters,
        int refcountOrder,
        long incompatibleFeatures,
        String backingFile,
        String backingFormat) {

    public static final int MAGIC = 0x514649fb; // "QFI\xfb"
    /** Largest virtual disk size accepted (16 TiB): keeps the in-memory block table bounded. */
    public static final long MAX_VIRTUAL_SIZE = 1L << 44;
    /** Largest L1 table accepted, as QEMU: 32 MiB (4 M entries). */
    public static final long MAX_L1_BYTES = 32L << 20;
    /** Largest refcount table accepted, as QEMU: 8 MiB. */
    public static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;

    static final long INCOMPAT_DIRTY = 1;
    static final long INCOMPAT_CORRUPT = 1 << 1;
    static final long INCOMPAT_EXTERNAL_DATA = 1 << 2;
    static final long INCOMPAT_COMPRESSION_TYPE = 1 << 3;
    static final long INCOMPAT_EXTENDED_L2 = 1 << 4;

    private static final int EXT_END = 0;
    private static final int EXT_BACKING_FORMAT = 0xE2792ACA;
    private static final int EXT_EXTERNAL_DATA_FILE = 0x44415441;
    private static final int EXT_FULL_DISK_ENCRYPTION = 0x0537BE77;

    public int clusterSize() {
        return 1 << clusterBits;
    }

    /** Entries in one L2 table (8 bytes each, one cluster per table). */
    public int l2Entries() {
        return 1 << (clusterBits - 3);
    }

    /** True when the dirty bit is set: refcounts may be stale (lazy refcounts), so they are not validated. */
    public boolean dirty() {
        return (incompatibleFeatures & INCOMPAT_DIRTY) != 0;
    }

    /** Reads and validates the header of {@code name} (used only in messages) from {@code ch}. */
    public static Qcow2Header read(FileChannel ch, String name) throws IOException {
        long fileLength = ch.size();
        if (fileLength < 72) {
            throw fail(name, "file of " + fileLength + " bytes is too short for a qcow2 header");
        }
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(fileLength, 4096));
        readFully(ch, b, 0, name);
        b.flip();
        if (b.getInt(0) != MAGIC) {
            throw fail(name, "bad magic 0x" + Integer.toHexString(b.getInt(0)) + ", not a qcow2 image");
        }
        int version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw fail(name, "unsupported qcow2 version " + Integer.toUnsignedString(version) + " (2 and 3 are supported)");
        }
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        int clusterBits = b.getInt(20);
        long size = b.getLong(24);
        int cryptMethod = b.getInt(32);
        int l1Size = b.getInt(36);
        long l1Offset = b.getLong(40);
        long refcountTableOffset = b.getLong(48);
        int refcountTableClusters = b.getInt(56);

        if (clusterBits < 9 || clusterBits > 21) {
            throw fail(name, "cluster_bits " + Integer.toUnsignedString(clusterBits) + " outside 9..21");
        }
        int clusterSize = 1 << clusterBits;
        if (clusterSize > b.limit() && fileLength > b.limit()) {
            // Extensions and the backing file name may lie anywhere in the header cluster (≤ 2 MiB).
            b = ByteBuffer.allocate((int) Math.min(fileLength, clusterSize));
            readFully(ch, b, 0, name);
            b.flip();
        }
        if (size < 0 || size > MAX_VIRTUAL_SIZE) {
            throw fail(name, "virtual size " + Long.toUnsignedString(size) + " exceeds the supported maximum of " + MAX_VIRTUAL_SIZE + " bytes");
        }
        if (cryptMethod != 0) {
            throw fail(name, "encrypted qcow2 images are not supported (crypt_method " + cryptMethod + ")");
        }

        long incompatible = 0;
        int refcountOrder = 4;
        int headerLength = 72;
        if (version == 3) {
            if (b.limit() < 104) {
                throw fail(name, "file too short for a version 3 header");
            }
            incompatible = b.getLong(72);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < 104 || headerLength > Math.min(clusterSize, b.limit()) || headerLength % 8 != 0) {
                throw fail(name, "header_length " + Integer.toUnsignedString(headerLength) + " is invalid");
            }
            long known = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_EXTERNAL_DATA | INCOMPAT_COMPRESSION_TYPE | INCOMPAT_EXTENDED_L2;
            if ((incompatible & ~known) != 0) {
                throw fail(name, "unknown incompatible feature bits 0x" + Long.toHexString(incompatible & ~known));
            }
            if ((incompatible & INCOMPAT_CORRUPT) != 0) {
                throw fail(name, "image is marked corrupt; repair it with qemu-img check -r all first");
            }
            if ((incompatible & INCOMPAT_EXTERNAL_DATA) != 0) {
                throw fail(name, "external data files are not supported");
            }
            if ((incompatible & INCOMPAT_EXTENDED_L2) != 0) {
                throw fail(name, "extended L2 entries (subclusters) are not supported");
            }
            if ((incompatible & INCOMPAT_COMPRESSION_TYPE) != 0 && headerLength > 104 && b.get(104) != 0) {
                throw fail(name, "compression type " + (b.get(104) & 0xFF) + " is not supported (only deflate)");
            }
            if (refcountOrder < 0 || refcountOrder > 6) {
                throw fail(name, "refcount_order " + Integer.toUnsignedString(refcountOrder) + " outside 0..6");
            }
        }

        // L1 table: big enough for the disk, not absurd, inside the file, clear of the header.
        long l2Span = (long) clusterSize * (clusterSize / 8);
        long needed = (size + l2Span - 1) / l2Span;
        long l1Entries = Integer.toUnsignedLong(l1Size);
        if (l1Entries * 8 > MAX_L1_BYTES) {
            throw fail(name, "L1 table of " + l1Entries + " entries exceeds the " + MAX_L1_BYTES + "-byte limit");
        }
        if (l1Entries < needed) {
            throw fail(name, "L1 table has " + l1Entries + " entries but the disk needs " + needed);
        }
        checkTable(name, "L1 table", l1Offset, l1Entries * 8, clusterSize, fileLength);
        long refcountBytes = Integer.toUnsignedLong(refcountTableClusters) * clusterSize;
        if (refcountBytes > MAX_REFCOUNT_TABLE_BYTES) {
            throw fail(name, "refcount table of " + refcountTableClusters + " clusters exceeds the " + MAX_REFCOUNT_TABLE_BYTES + "-byte limit");
        }
        if (refcountBytes == 0) {
            throw fail(name, "refcount table is empty");
        }
        checkTable(name, "refcount table", refcountTableOffset, refcountBytes, clusterSize, fileLength);
        if (l1Entries > 0 && l1Offset < refcountTableOffset + refcountBytes && refcountTableOffset < l1Offset + l1Entries * 8) {
            throw fail(name, "L1 table at 0x" + Long.toHexString(l1Offset) + " overlaps the refcount table");
        }

        String backingFile = null;
        if (backingOffset != 0) {
            if (Integer.toUnsignedLong(backingSize) > 1023 || backingSize == 0) {
                throw fail(name, "backing file name length " + Integer.toUnsignedString(backingSize) + " outside 1..1023");
            }
            if (backingOffset < headerLength || backingOffset + backingSize > Math.min(clusterSize, b.limit())) {
                throw fail(name, "backing file name at 0x" + Long.toHexString(backingOffset) + " lies outside the header cluster");
            }
            backingFile = utf8(b, (int) backingOffset, backingSize, name, "backing file name");
        }
        String backingFormat = readExtensions(b, headerLength, clusterSize, name);
        return new Qcow2Header(version, clusterBits, size, l1Size, l1Offset, refcountTableOffset,
                refcountTableClusters, refcountOrder, incompatible, backingFile, backingFormat);
    }

    /** Walks the header extensions; returns the backing format, rejecting extensions that change meaning. */
    private static String readExtensions(ByteBuffer b, int at, int clusterSize, String name) throws DiskImageException {
        String backingFormat = null;
        int end = Math.min(clusterSize, b.limit());
        while (at + 8 <= end) {
            int type = b.getInt(at);
            long len = Integer.toUnsignedLong(b.getInt(at + 4));
            if (type == EXT_END) {
                return backingFormat;
            }
            if (at + 8 + len > end) {
                throw fail(name, "header extension 0x" + Integer.toHexString(type) + " of " + len + " bytes overruns the header cluster");
            }
            switch (type) {
                case EXT_BACKING_FORMAT -> backingFormat = utf8(b, at + 8, (int) len, name, "backing format");
                case EXT_EXTERNAL_DATA_FILE -> throw fail(name, "external data files are not supported");
                case EXT_FULL_DISK_ENCRYPTION -> throw fail(name, "encrypted qcow2 images are not supported");
                default -> { } // feature names, bitmaps, ...: informational for a reader of the active L1
            }
            at += 8 + (int) ((len + 7) & ~7L);
        }
        return backingFormat;
    }

    private static void checkTable(String name, String what, long offset, long bytes, int clusterSize, long fileLength)
            throws DiskImageException {
        if (bytes == 0) {
            return;
        }
        if (offset <= 0 || offset % clusterSize != 0) {
            throw fail(name, what + " offset 0x" + Long.toHexString(offset) + " is not a non-zero multiple of the cluster size");
        }
        if (offset > fileLength - bytes) {
            throw fail(name, what + " at 0x" + Long.toHexString(offset) + " (" + bytes + " bytes) lies past the end of the file (" + fileLength + " bytes)");
        }
    }

    private static String utf8(ByteBuffer b, int at, int len, String name, String what) throws DiskImageException {
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(b.slice(at, len))
                    .toString();
            if (s.indexOf('\0') >= 0) {
                throw fail(name, what + " contains a NUL byte");
            }
            return s;
        } catch (CharacterCodingException e) {
            throw fail(name, what + " is not valid UTF-8");
        }
    }

    static void readFully(FileChannel ch, ByteBuffer b, long position, String name) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, position);
            if (n < 0) {
                throw fail(name, "unexpected end of file at 0x" + Long.toHexString(position));
            }
            position += n;
        }
    }

    static DiskImageException fail(String name, String problem) {
        return new DiskImageException(name + ": " + problem);
    }
}
