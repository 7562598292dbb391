package dev.vmtree.cow.nbd;

/**
 * Told about every change an NBD client made to a read-write export (WRITE, WRITE_ZEROES, TRIM),
 * after it reached the disk and in the order the disk saw them. The toolstack turns these into
 * ReplayLog events: writes through NBD are external input to the machine.
 *
 * <p>Called on a connection thread with the export's lock held; keep it short and non-blocking.
 */
@FunctionalInterface
public interface WriteListener {
    WriteListener NONE = (offset, length) -> {};

    void onWrite(long offset, long length);
}
