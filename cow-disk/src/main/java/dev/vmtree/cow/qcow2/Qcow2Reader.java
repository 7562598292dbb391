package dev.vmtree.cow.qcow2;

import static dev.vmtree.cow.qcow2.Qcow2Header.fail;
import static dev.vmtree.cow.qcow2.Qcow2Header.readFully;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.PageFaultException;
import dev.vmtree.cow.PageSource;
import dev.vmtree.cow.disk.DiskImageException;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.ImageFile;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.cow.disk.ZeroBlocks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Imports the active state of one qcow2 file (v2 or v3) as a {@link VirtualDisk}: standard and
 * zero clusters, deflate-compressed clusters; unallocated clusters fall through to the backing
 * disk the caller resolved (or read as zero). Internal snapshots are ignored.
 *
 * <p>The import is streamed: it validates every table and entry now (and inflates each compressed
 * cluster once, into one scratch cluster, to check it) but keeps only the L2 tables; a block's
 * data is read from the file, inflated and composed with the backing disk each time the block is
 * asked for ({@link ImageFile}). An 11 MB compressed image of 1 GiB so costs its 11 MB of metadata
 * and data reads, not 1 GiB of heap.
 *
 * <p>Hostile files are rejected with {@link DiskImageException}: offsets past the end of the file,
 * unaligned or reserved-bit entries, L2 tables or data overlapping metadata, refcount tables that
 * point outside the file, and clusters in use whose refcount is zero (not checked when the dirty
 * bit says refcounts are stale). Allocation is bounded by the header's caps and the file size.
 */
public final class Qcow2Reader {

    private static final long L1_OFFSET_MASK = 0x00FF_FFFF_FFFF_FE00L;
    private static final long L1_RESERVED = 0x7F00_0000_0000_01FFL;
    private static final long L2_COPIED = 1L << 63;
    private static final long L2_COMPRESSED = 1L << 62;
    private static final long L2_STANDARD_RESERVED = 0x3F00_0000_0000_01FEL;

    private final FileChannel ch;
    private final String name;
    private final Qcow2Header h;
    private final long fileLength;
    private final int cs;
    /** Host clusters holding metadata: header, L1, refcount table and blocks, L2 tables. */
    private final Set<Long> metadata = new HashSet<>();
    private final Refcounts refcounts;
    /**
     * Host data already imported (cluster index for standard clusters, byte offset for compressed
     * ones). The active L1 never legitimately maps two guest clusters to one host cluster, and
     * refusing it keeps the imported data no larger than the file (times the deflate ratio).
     */
    private final BitSet clustersSeen = new BitSet();
    private final Set<Long> compressedSeen = new HashSet<>();

    private Qcow2Reader(FileChannel ch, String name, Qcow2Header h) throws IOException {
        this.ch = ch;
        this.name = name;
        this.h = h;
        this.fileLength = ch.size();
        this.cs = h.clusterSize();
        claim(0, cs, "header");
        claim(h.l1TableOffset(), Integer.toUnsignedLong(h.l1Size()) * 8, "L1 table");
        claim(h.refcountTableOffset(), (long) h.refcountTableClusters() * cs, "refcount table");
        this.refcounts = h.dirty() ? null : new Refcounts();
    }

    /**
     * Validates the qcow2 file open on {@code ch} ({@code file} names the same file for the reads
     * to come); {@code backing} is its already imported backing disk, or null when it has none.
     * Returns a disk whose blocks are composed from the file and the backing disk when read.
     */
    public static VirtualDisk read(FileChannel ch, ImageFile file, Qcow2Header header, DiskSnapshot backing)
            throws IOException {
        Qcow2Reader r = new Qcow2Reader(ch, file.name(), header);
        long[][] l2 = r.validate();
        return VirtualDisk.lazy(new Blocks(file, header, l2, backing), header.size());
    }

    /** Checks every L1 and L2 entry; returns the L2 tables by L1 index (null: unallocated). */
    private long[][] validate() throws IOException {
        long[] l1 = readTable(h.l1TableOffset(), Integer.toUnsignedLong(h.l1Size()));
        long l2Span = (long) cs * h.l2Entries();
        long[][] tables = new long[l1.length][];
        byte[] cluster = new byte[cs];
        Inflater inflater = new Inflater(true);
        try {
            for (int i = 0; i < l1.length && (long) i * l2Span < h.size(); i++) {
                long e = l1[i];
                if ((e & L1_RESERVED) != 0) {
                    throw fail(name, "L1 entry " + i + " has reserved bits set (0x" + Long.toHexString(e) + ")");
                }
                long l2Offset = e & L1_OFFSET_MASK;
                if (l2Offset == 0) {
                    continue; // the whole range reads from the backing disk
                }
                checkCluster(l2Offset, "L2 table of L1 entry " + i);
                claim(l2Offset, cs, "L2 table");
                long[] l2 = readTable(l2Offset, h.l2Entries());
                for (int j = 0; j < l2.length; j++) {
                    long guest = (long) i * l2Span + (long) j * cs;
                    if (guest >= h.size()) {
                        break;
                    }
                    int n = (int) Math.min(cs, h.size() - guest);
                    checkEntry(l2[j], guest, n, cluster, inflater);
                }
                tables[i] = l2;
            }
        } finally {
            inflater.end();
        }
        return tables;
    }

    private void checkEntry(long e, long guest, int n, byte[] cluster, Inflater inflater) throws IOException {
        if ((e & L2_COMPRESSED) != 0) {
            readCompressed(e & ~(L2_COPIED | L2_COMPRESSED), guest, cluster, inflater);
            return;
        }
        if ((e & L2_STANDARD_RESERVED) != 0 || (h.version() == 2 && (e & 1) != 0)) {
            throw fail(name, "L2 entry for guest offset 0x" + Long.toHexString(guest) + " has reserved bits set (0x" + Long.toHexString(e) + ")");
        }
        long host = e & L1_OFFSET_MASK;
        if ((e & 1) != 0 || host == 0) {
            return; // a zero cluster (hides the backing disk), or unallocated (shows it)
        }
        checkCluster(host, "data cluster for guest offset 0x" + Long.toHexString(guest));
        if (metadata.contains(host / cs)) {
            throw fail(name, "data cluster at 0x" + Long.toHexString(host) + " overlaps metadata");
        }
        if (host / cs > Integer.MAX_VALUE || clustersSeen.get((int) (host / cs))) {
            throw fail(name, "data cluster at 0x" + Long.toHexString(host) + " is mapped by two guest clusters");
        }
        clustersSeen.set((int) (host / cs));
        if (n > fileLength - host) {
            throw fail(name, "unexpected end of file at 0x" + Long.toHexString(fileLength)
                    + " in the data cluster for guest offset 0x" + Long.toHexString(guest));
        }
    }

    private void readCompressed(long descriptor, long guest, byte[] cluster, Inflater inflater) throws IOException {
        int offsetBits = offsetBits(h);
        long host = descriptor & ((1L << offsetBits) - 1);
        long sectors = (descriptor >>> offsetBits) + 1;
        if (host == 0 || host >= fileLength) {
            throw fail(name, "compressed cluster for guest offset 0x" + Long.toHexString(guest) + " at 0x" + Long.toHexString(host) + " lies past the end of the file");
        }
        long len = Math.min(sectors * 512 - (host & 511), fileLength - host);
        if (!compressedSeen.add(host)) {
            throw fail(name, "compressed data at 0x" + Long.toHexString(host) + " is mapped by two guest clusters");
        }
        for (long c = host / cs; c <= (host + len - 1) / cs; c++) {
            if (metadata.contains(c)) {
                throw fail(name, "compressed data at 0x" + Long.toHexString(host) + " overlaps metadata");
            }
            if (refcounts != null && refcounts.get(c) == 0) {
                throw fail(name, "cluster at 0x" + Long.toHexString(c * cs) + " is in use but its refcount is 0");
            }
        }
        byte[] in = new byte[(int) len];
        readFully(ch, ByteBuffer.wrap(in), host, name);
        inflate(in, cluster, inflater, name, guest);
    }

    static int offsetBits(Qcow2Header h) {
        return 62 - (h.clusterBits() - 8);
    }

    /** Inflates one compressed cluster's raw deflate data into {@code cluster} (exactly its size). */
    static void inflate(byte[] in, byte[] cluster, Inflater inflater, String name, long guest) throws DiskImageException {
        int cs = cluster.length;
        inflater.reset();
        inflater.setInput(in);
        try {
            int got = 0;
            while (got < cs && !inflater.finished() && !inflater.needsInput()) {
                got += inflater.inflate(cluster, got, cs - got);
            }
            if (got < cs) {
                throw fail(name, "compressed cluster for guest offset 0x" + Long.toHexString(guest) + " inflates to " + got + " bytes, not " + cs);
            }
        } catch (DataFormatException ex) {
            throw fail(name, "compressed cluster for guest offset 0x" + Long.toHexString(guest) + " is not valid deflate data");
        }
    }

    /** A cluster-aligned host offset inside the file and (unless refcounts are stale) with refcount > 0. */
    private void checkCluster(long host, String what) throws IOException {
        if (host % cs != 0) {
            throw fail(name, what + " at 0x" + Long.toHexString(host) + " is not cluster aligned");
        }
        if (host >= fileLength) {
            throw fail(name, what + " at 0x" + Long.toHexString(host) + " lies past the end of the file (" + fileLength + " bytes)");
        }
        if (refcounts != null && refcounts.get(host / cs) == 0) {
            throw fail(name, "cluster at 0x" + Long.toHexString(host) + " is in use but its refcount is 0");
        }
    }

    /** Records metadata clusters; two metadata structures in one cluster mean a corrupt or hostile file. */
    private void claim(long offset, long bytes, String what) throws DiskImageException {
        for (long c = offset / cs; bytes > 0 && c <= (offset + bytes - 1) / cs; c++) {
            if (!metadata.add(c)) {
                throw fail(name, what + " at 0x" + Long.toHexString(offset) + " overlaps other metadata");
            }
        }
    }

    private long[] readTable(long offset, long entries) throws IOException {
        if (entries * 8 > fileLength - offset) {
            throw fail(name, "table at 0x" + Long.toHexString(offset) + " lies past the end of the file");
        }
        ByteBuffer b = ByteBuffer.allocate((int) (entries * 8));
        readFully(ch, b, offset, name);
        b.flip();
        long[] t = new long[(int) entries];
        b.asLongBuffer().get(t);
        return t;
    }

    /** Refcount lookups for validation, loading refcount blocks on demand. */
    private final class Refcounts {
        private final long[] table;
        private final int bits = 1 << h.refcountOrder();
        private final long entriesPerBlock = (long) cs * 8 / bits;
        private final Map<Long, byte[]> blocks = new HashMap<>();

        Refcounts() throws IOException {
            table = readTable(h.refcountTableOffset(), (long) h.refcountTableClusters() * cs / 8);
            for (int i = 0; i < table.length; i++) {
                long block = table[i] & ~511L;
                if ((table[i] & 511) != 0) {
                    throw fail(name, "refcount table entry " + i + " has reserved bits set");
                }
                if (block != 0) {
                    if (block % cs != 0 || block >= fileLength) {
                        throw fail(name, "refcount block " + i + " at 0x" + Long.toHexString(block) + " is unaligned or past the end of the file");
                    }
                    claim(block, cs, "refcount block " + i);
                }
            }
        }

        long get(long cluster) throws IOException {
            long index = cluster / entriesPerBlock;
            if (index >= table.length || table[(int) index] == 0) {
                return 0;
            }
            long offset = table[(int) index];
            byte[] block = blocks.get(offset);
            if (block == null) {
                block = new byte[cs];
                readFully(ch, ByteBuffer.wrap(block), offset, name);
                blocks.put(offset, block);
            }
            long k = cluster % entriesPerBlock;
            if (bits < 8) {
                return (block[(int) (k * bits / 8)] >>> (int) (k * bits % 8)) & ((1 << bits) - 1);
            }
            ByteBuffer b = ByteBuffer.wrap(block);
            int at = (int) (k * bits / 8);
            return switch (bits) {
                case 8 -> block[at] & 0xFF;
                case 16 -> b.getShort(at) & 0xFFFF;
                case 32 -> b.getInt(at) & 0xFFFF_FFFFL;
                default -> b.getLong(at);
            };
        }
    }

    /**
     * The blocks of a validated qcow2 file, composed when asked for: each cluster piece of a block
     * is read from the file (standard), inflated (compressed), zero, or the backing disk's bytes
     * (unallocated). Keeps the last inflated cluster, since a cluster may span many blocks. Safe to
     * call from any thread.
     */
    private static final class Blocks implements PageSource {
        private final ImageFile file;
        private final Qcow2Header h;
        private final long[][] l2;
        private final FrozenImage backing;
        private final int cs;
        private long cachedDescriptor = -1;
        private byte[] cachedCluster;

        Blocks(ImageFile file, Qcow2Header h, long[][] l2, DiskSnapshot backing) {
            this.file = file;
            this.h = h;
            this.l2 = l2;
            this.backing = backing == null ? null : backing.blocks();
            this.cs = h.clusterSize();
        }

        @Override
        public byte[] page(long index) {
            int bs = VirtualDisk.BLOCK_SIZE;
            long start = index * bs;
            long end = Math.min(start + bs, h.size());
            byte[] block = new byte[bs];
            byte[] base = null;
            boolean baseRead = false;
            for (long guest = start; guest < end; ) {
                long within = guest % cs;
                int n = (int) Math.min(cs - within, end - guest);
                long ci = guest / cs;
                int table = (int) (ci / h.l2Entries());
                long e = table < l2.length && l2[table] != null ? l2[table][(int) (ci % h.l2Entries())] : 0;
                int at = (int) (guest - start);
                if ((e & L2_COMPRESSED) != 0) {
                    System.arraycopy(inflated(e & ~(L2_COPIED | L2_COMPRESSED), guest - within), (int) within, block, at, n);
                } else if ((e & 1) != 0) {
                    // zero cluster: stays zero
                } else if ((e & L1_OFFSET_MASK) == 0) {
                    if (!baseRead) {
                        base = backing != null && index < backing.pageCount() ? backing.page(index) : null;
                        baseRead = true;
                    }
                    if (base != null) {
                        System.arraycopy(base, at, block, at, n);
                    }
                } else {
                    file.readForPage(ByteBuffer.wrap(block, at, n), (e & L1_OFFSET_MASK) + within);
                }
                guest += n;
            }
            return ZeroBlocks.isZero(block) ? null : block;
        }

        private synchronized byte[] inflated(long descriptor, long guest) {
            if (descriptor == cachedDescriptor) {
                return cachedCluster;
            }
            int offsetBits = offsetBits(h);
            long host = descriptor & ((1L << offsetBits) - 1);
            long sectors = (descriptor >>> offsetBits) + 1;
            long len = Math.min(sectors * 512 - (host & 511), file.length() - host);
            byte[] in = new byte[(int) len];
            file.readForPage(ByteBuffer.wrap(in), host);
            byte[] cluster = new byte[cs];
            Inflater inflater = new Inflater(true);
            try {
                inflate(in, cluster, inflater, file.name(), guest);
            } catch (DiskImageException e) {
                throw new PageFaultException(e.getMessage(), e);
            } finally {
                inflater.end();
            }
            cachedDescriptor = descriptor;
            cachedCluster = cluster;
            return cluster;
        }
    }
}
