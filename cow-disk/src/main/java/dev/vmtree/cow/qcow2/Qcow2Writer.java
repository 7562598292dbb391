package dev.vmtree.cow.qcow2;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.disk.DiskImageException;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Writes a {@link DiskSnapshot} as a qcow2 version 3 image with 64 KiB clusters (one cluster per
 * disk block), no backing file, no compression. All-zero blocks stay unallocated, so the file holds
 * only the header, metadata and non-zero data.
 *
 * <p>Layout, in one pass over the disk: cluster 0 the header; then every non-zero data cluster in
 * guest order; then the L2 tables, the L1 table, the refcount table and the refcount blocks. Every
 * cluster of the file is used exactly once, so every refcount is 1 and {@code qemu-img check} finds
 * neither leaks nor errors.
 */
public final class Qcow2Writer {

    static final int CLUSTER_BITS = 16;
    static final int CLUSTER_SIZE = 1 << CLUSTER_BITS;
    private static final int L2_ENTRIES = CLUSTER_SIZE / 8;
    private static final int REFCOUNT_ORDER = 4; // 16-bit refcounts, QEMU's default
    private static final long REFCOUNTS_PER_BLOCK = CLUSTER_SIZE / 2;
    private static final long COPIED = 1L << 63;
    private static final int HEADER_LENGTH = 104;
    private static final int BATCH_CLUSTERS = 64; // 4 MiB per write call

    private Qcow2Writer() {}

    /** Writes {@code disk} to {@code out}, which must be open for writing and empty. Returns the file size. */
    public static long write(DiskSnapshot disk, FileChannel out, String name) throws IOException {
        if (disk.size() % 512 != 0) {
            throw new DiskImageException(name + ": qcow2 needs a size that is a multiple of 512 bytes, not " + disk.size());
        }
        if (disk.blockSize() != CLUSTER_SIZE) {
            throw new DiskImageException(name + ": disk blocks of " + disk.blockSize() + " bytes, expected " + VirtualDisk.BLOCK_SIZE);
        }
        FrozenImage blocks = disk.blocks();
        long clusters = (disk.size() + CLUSTER_SIZE - 1) / CLUSTER_SIZE;
        int l1Size = Math.toIntExact((clusters + L2_ENTRIES - 1) / L2_ENTRIES);
        long[][] l2 = new long[l1Size][];

        long next = 1; // next free host cluster; 0 is the header
        ByteBuffer zero = ByteBuffer.allocate(CLUSTER_SIZE);
        out.write(zero.duplicate(), 0);
        // Data clusters are contiguous in the file: gather them into large writes.
        ByteBuffer batch = ByteBuffer.allocateDirect(BATCH_CLUSTERS * CLUSTER_SIZE);
        long batchStart = next;
        for (long c = 0; c < clusters; c++) {
            if (blocks.isZeroPage(c)) {
                continue;
            }
            byte[] data = blocks.page(c);
            int t = (int) (c / L2_ENTRIES);
            if (l2[t] == null) {
                l2[t] = new long[L2_ENTRIES];
            }
            l2[t][(int) (c % L2_ENTRIES)] = (next * CLUSTER_SIZE) | COPIED;
            if (!batch.hasRemaining()) {
                writeFully(out, batch.flip(), batchStart * CLUSTER_SIZE);
                batch.clear();
                batchStart = next;
            }
            batch.put(data);
            next++;
        }
        writeFully(out, batch.flip(), batchStart * CLUSTER_SIZE);

        long[] l1 = new long[l1Size];
        ByteBuffer table = ByteBuffer.allocate(CLUSTER_SIZE);
        for (int t = 0; t < l1Size; t++) {
            if (l2[t] != null) {
                table.clear();
                table.asLongBuffer().put(l2[t]);
                writeFully(out, table, next * CLUSTER_SIZE);
                l1[t] = (next * CLUSTER_SIZE) | COPIED;
                next++;
            }
        }
        long l1Offset = next * CLUSTER_SIZE;
        long l1Clusters = Math.max(1, ((long) l1Size * 8 + CLUSTER_SIZE - 1) / CLUSTER_SIZE);
        ByteBuffer l1Bytes = ByteBuffer.allocate((int) (l1Clusters * CLUSTER_SIZE));
        l1Bytes.asLongBuffer().put(l1);
        writeFully(out, l1Bytes, l1Offset);
        next += l1Clusters;

        // Refcount structures cover every cluster including themselves: iterate to a fixed point.
        long tableClusters = 1;
        long refBlocks = 1;
        while (true) {
            long total = next + tableClusters + refBlocks;
            long needBlocks = (total + REFCOUNTS_PER_BLOCK - 1) / REFCOUNTS_PER_BLOCK;
            long needTable = (needBlocks * 8 + CLUSTER_SIZE - 1) / CLUSTER_SIZE;
            if (needBlocks == refBlocks && needTable == tableClusters) {
                break;
            }
            refBlocks = Math.max(refBlocks, needBlocks);
            tableClusters = Math.max(tableClusters, needTable);
        }
        long total = next + tableClusters + refBlocks;
        long tableOffset = next * CLUSTER_SIZE;
        long firstBlock = next + tableClusters;
        ByteBuffer refTable = ByteBuffer.allocate((int) (tableClusters * CLUSTER_SIZE));
        for (long i = 0; i < refBlocks; i++) {
            refTable.putLong((firstBlock + i) * CLUSTER_SIZE);
        }
        refTable.clear();
        writeFully(out, refTable, tableOffset);
        ByteBuffer block = ByteBuffer.allocate(CLUSTER_SIZE);
        for (long i = 0; i < refBlocks; i++) {
            java.util.Arrays.fill(block.array(), (byte) 0);
            block.clear();
            for (long c = i * REFCOUNTS_PER_BLOCK; c < Math.min(total, (i + 1) * REFCOUNTS_PER_BLOCK); c++) {
                block.putShort((int) (c % REFCOUNTS_PER_BLOCK) * 2, (short) 1);
            }
            writeFully(out, block, (firstBlock + i) * CLUSTER_SIZE);
        }

        ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH + 8);
        header.putInt(Qcow2Header.MAGIC).putInt(3)
                .putLong(0).putInt(0)                      // no backing file
                .putInt(CLUSTER_BITS).putLong(disk.size())
                .putInt(0)                                 // no encryption
                .putInt(l1Size).putLong(l1Offset)
                .putLong(tableOffset).putInt((int) tableClusters)
                .putInt(0).putLong(0)                      // no internal snapshots
                .putLong(0).putLong(0).putLong(0)          // incompatible, compatible, autoclear features
                .putInt(REFCOUNT_ORDER).putInt(HEADER_LENGTH)
                .putInt(0).putInt(0);                      // end of header extensions
        header.flip();
        writeFully(out, header, 0);
        return total * CLUSTER_SIZE;
    }

    private static void writeFully(FileChannel out, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            position += out.write(b, position);
        }
    }
}
