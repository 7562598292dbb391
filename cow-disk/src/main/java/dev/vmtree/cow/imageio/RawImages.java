package dev.vmtree.cow.imageio;

import dev.vmtree.cow.PagedImage;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.VirtualDisk;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Raw disk images: import keeps all-zero blocks unallocated; export leaves holes where blocks are zero. */
final class RawImages {
    private static final int READ_CHUNK = 16 * VirtualDisk.BLOCK_SIZE; // 1 MiB per read call

    private RawImages() {}

    static VirtualDisk read(FileChannel ch) throws IOException {
        long size = ch.size();
        VirtualDisk disk = VirtualDisk.blank(size);
        PagedImage blocks = disk.image();
        int bs = VirtualDisk.BLOCK_SIZE;
        ByteBuffer buf = ByteBuffer.allocateDirect(READ_CHUNK);
        ByteBuffer zero = ByteBuffer.allocateDirect(bs);
        long pos = 0;
        while (pos < size) {
            buf.clear();
            buf.limit((int) Math.min(READ_CHUNK, size - pos));
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw new IOException("raw image shrank while being read at " + (pos + buf.position()));
                }
            }
            buf.flip();
            for (int at = 0; at < buf.limit(); at += bs) {
                int n = Math.min(bs, buf.limit() - at);
                ByteBuffer slice = buf.slice(at, n);
                if (slice.mismatch(zero.slice(0, n)) < 0) {
                    continue; // all zero: stays unallocated
                }
                slice.get(blocks.pageForWrite((pos + at) / bs), 0, n);
            }
            pos += buf.limit();
        }
        return disk;
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
