package dev.vmtree.cow.imageio;

import dev.vmtree.cow.PageSource;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.ImageFile;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.cow.disk.ZeroBlocks;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Raw disk images: import maps the file lazily (blocks are read from it when asked for, all-zero
 * blocks read as unallocated); export leaves holes where blocks are zero.
 */
final class RawImages {
    private static final int READ_CHUNK = 16 * VirtualDisk.BLOCK_SIZE; // 1 MiB per read call

    private RawImages() {}

    /** A disk of the file's size whose blocks are read from {@code file} on demand; nothing is read now. */
    static VirtualDisk read(ImageFile file) {
        long size = file.length();
        int bs = VirtualDisk.BLOCK_SIZE;
        PageSource blocks = index -> {
            long at = index * bs;
            int n = (int) Math.min(bs, size - at);
            if (n <= 0) {
                return null;
            }
            byte[] b = new byte[bs];
            file.readForPage(ByteBuffer.wrap(b, 0, n), at);
            return ZeroBlocks.isZero(b, 0, n) ? null : b;
        };
        return VirtualDisk.lazy(blocks, size);
    }

    /** Writes {@code disk} to {@code file} (empty, open for writing) with holes for zero blocks. */
    static void write(DiskSnapshot disk, RandomAccessFile file) throws IOException {
        file.setLength(disk.size()); // sparse: unwritten ranges are holes
        FileChannel ch = file.getChannel();
        int bs = disk.blockSize();
        ByteBuffer run = ByteBuffer.allocateDirect(READ_CHUNK * 4); // a run of adjacent non-zero blocks
        long runStart = 0;
        for (long i = 0; i < disk.blockCount(); i++) {
            boolean zero = disk.blocks().isZeroPage(i);
            long offset = i * bs;
            if (run.position() > 0 && (zero || !run.hasRemaining())) {
                writeRun(ch, run, runStart);
            }
            if (zero) {
                continue;
            }
            if (run.position() == 0) {
                runStart = offset;
            }
            run.put(disk.blocks().page(i), 0, (int) Math.min(bs, disk.size() - offset));
        }
        writeRun(ch, run, runStart);
    }

    private static void writeRun(FileChannel ch, ByteBuffer run, long at) throws IOException {
        run.flip();
        while (run.hasRemaining()) {
            at += ch.write(run, at);
        }
        run.clear();
    }
}
