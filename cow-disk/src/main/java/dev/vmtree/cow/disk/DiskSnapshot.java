package dev.vmtree.cow.disk;

import dev.vmtree.cow.FrozenImage;
import java.util.Objects;

/**
 * An immutable disk: a {@link FrozenImage} of blocks plus the disk's byte size (the last block may
 * extend past it; those bytes are zero and invisible). Readable from any thread. Many
 * {@link VirtualDisk} overlays may share one snapshot as their base.
 */
public record DiskSnapshot(FrozenImage blocks, long size) implements BlockDevice {

    public DiskSnapshot {
        Objects.requireNonNull(blocks, "blocks");
        if (size < 0 || size > blocks.size() || blocks.size() - size >= blocks.pageSize()) {
            throw new IllegalArgumentException("disk size " + size + " does not fit image of " + blocks.size() + " bytes");
        }
    }

    public int blockSize() {
        return blocks.pageSize();
    }

    public long blockCount() {
        return blocks.pageCount();
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOff, int len) {
        VirtualDisk.checkRange(size, offset, len);
        blocks.read(offset, dst, dstOff, len);
    }

    @Override
    public void write(long offset, byte[] src, int srcOff, int len) {
        throw new ReadOnlyDiskException("disk snapshot is read-only");
    }

    @Override
    public void writeZeroes(long offset, long len) {
        throw new ReadOnlyDiskException("disk snapshot is read-only");
    }

    /** A new writable disk over this snapshot that owns only the blocks written to it. */
    public VirtualDisk overlay() {
        return VirtualDisk.overlay(this, size);
    }

    /** Blocks holding at least one non-zero byte: what an export or the store must actually keep. */
    public long allocatedBlocks() {
        long n = 0;
        for (long i = 0; i < blocks.pageCount(); i++) {
            if (!blocks.isZeroPage(i)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
