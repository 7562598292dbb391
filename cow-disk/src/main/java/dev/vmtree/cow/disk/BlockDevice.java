package dev.vmtree.cow.disk;

/**
 * A byte-addressed block device as an exporter (NBD, qcow2/raw export) sees it. Offsets and lengths
 * need no alignment; ranges outside {@link #size()} throw {@link IndexOutOfBoundsException}.
 *
 * <p>Threading: not thread-safe; a server that talks to several clients serializes calls itself.
 */
public interface BlockDevice {

    /** Size in bytes as the guest sees it (not necessarily a multiple of the block size). */
    long size();

    /** True when {@link #write} and {@link #writeZeroes} throw {@link ReadOnlyDiskException}. */
    boolean readOnly();

    void read(long offset, byte[] dst, int dstOff, int len);

    void write(long offset, byte[] src, int srcOff, int len);

    /** Makes {@code len} bytes at {@code offset} read as zero, keeping whole zero blocks unallocated where it can. */
    void writeZeroes(long offset, long len);

    /** Nothing is buffered outside the image, so this only checks the device is still usable. */
    default void flush() {}
}
