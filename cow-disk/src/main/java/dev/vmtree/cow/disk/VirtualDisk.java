package dev.vmtree.cow.disk;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.PageSource;
import dev.vmtree.cow.PagedImage;
import java.util.Objects;

/**
 * A writable virtual disk: a {@link PagedImage} of {@value #BLOCK_SIZE}-byte blocks plus the disk's
 * byte size. Over a {@link DiskSnapshot} it is an overlay: untouched blocks are the base's own
 * arrays, and the disk owns (and later persists) only the blocks written to it. See
 * docs/cow-disk.md for why blocks are 64 KiB.
 *
 * <p>Threading: like its image, one thread at a time; {@link #snapshot()} views may be read from any thread.
 */
public final class VirtualDisk implements BlockDevice {

    /** Disk block (page) size: the unit of copy-on-write, dirty tracking, sparseness and store chunks. */
    public static final int BLOCK_SIZE = 64 * 1024;

    private final PagedImage blocks;
    private final long size;

    /** A disk of {@code size} bytes over {@code blocks}, whose size is {@code size} rounded up to a block. */
    public VirtualDisk(PagedImage blocks, long size) {
        this.blocks = Objects.requireNonNull(blocks, "blocks");
        if (size < 0 || size > blocks.size() || blocks.size() - size >= blocks.pageSize()) {
            throw new IllegalArgumentException("disk size " + size + " does not fit image of " + blocks.size() + " bytes");
        }
        this.size = size;
    }

    /** An all-zero disk of {@code size} bytes; allocates nothing until written. */
    public static VirtualDisk blank(long size) {
        return new VirtualDisk(new InMemoryPagedImage(roundUp(size), BLOCK_SIZE), size);
    }

    /**
     * A disk of {@code size} bytes whose unwritten blocks read from {@code base}; where {@code size}
     * exceeds the base (a qcow2 backing file smaller than its overlay) the rest reads as zero.
     */
    public static VirtualDisk overlay(DiskSnapshot base, long size) {
        FrozenImage view = base.blocks();
        if (view.pageSize() != BLOCK_SIZE) {
            throw new IllegalArgumentException("base has " + view.pageSize() + "-byte blocks, expected " + BLOCK_SIZE);
        }
        long baseBlocks = view.pageCount();
        PageSource source = baseBlocks * BLOCK_SIZE >= roundUp(size)
                ? view
                : index -> index < baseBlocks ? view.page(index) : null;
        return new VirtualDisk(new InMemoryPagedImage(roundUp(size), BLOCK_SIZE, source), size);
    }

    /**
     * A disk of {@code size} bytes whose unwritten blocks come from {@code source} on every read and
     * are never kept ({@link InMemoryPagedImage#passThrough}): an imported image file, say, whose
     * data then never sits in the heap. Only blocks written to the disk live there.
     */
    public static VirtualDisk lazy(PageSource source, long size) {
        return new VirtualDisk(InMemoryPagedImage.passThrough(roundUp(size), BLOCK_SIZE, source), size);
    }

    static long roundUp(long size) {
        if (size < 0 || size > Long.MAX_VALUE - BLOCK_SIZE) {
            throw new IllegalArgumentException("disk size out of range: " + size);
        }
        return (size + BLOCK_SIZE - 1) & -(long) BLOCK_SIZE;
    }

    static void checkRange(long size, long offset, long len) {
        if (offset < 0 || len < 0 || offset > size - len) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + len + ") outside disk of " + size + " bytes");
        }
    }

    /** The paged image under this disk (for persisting its dirty blocks). */
    public PagedImage image() {
        return blocks;
    }

    @Override
    public long size() {
        return size;
    }

    public int blockSize() {
        return blocks.pageSize();
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    /** An immutable view of the disk now, in time independent of its size; later writes copy blocks. */
    public DiskSnapshot snapshot() {
        return new DiskSnapshot(blocks.freeze(), size);
    }

    @Override
    public void read(long offset, byte[] dst, int dstOff, int len) {
        checkRange(size, offset, len);
        blocks.read(offset, dst, dstOff, len);
    }

    @Override
    public void write(long offset, byte[] src, int srcOff, int len) {
        checkRange(size, offset, len);
        blocks.write(offset, src, srcOff, len);
    }

    @Override
    public void writeZeroes(long offset, long len) {
        checkRange(size, offset, len);
        int bs = blocks.pageSize();
        byte[] zero = ZeroBlocks.buffer();
        while (len > 0) {
            int inBlock = (int) (offset & (bs - 1));
            int n = (int) Math.min(len, bs - inBlock);
            long index = offset / bs;
            if (n == bs) {
                // A whole block: leave it alone if it already reads as zero, so it stays unallocated.
                if (!ZeroBlocks.isZero(blocks.pageForRead(index))) {
                    java.util.Arrays.fill(blocks.pageForWrite(index), (byte) 0);
                }
            } else {
                for (int done = 0; done < n; ) {
                    int m = Math.min(n - done, zero.length);
                    blocks.write(offset + done, zero, 0, m);
                    done += m;
                }
            }
            offset += n;
            len -= n;
        }
    }

    @Override
    public String toString() {
        return "VirtualDisk[" + size + " bytes over " + blocks + "]";
    }
}
