package dev.vmtree.cow.nbd;

/**
 * Told about every change an NBD client made to a read-write export (WRITE, WRITE_ZEROES, TRIM),
 * after it reached the disk and in the order the disk saw them. The toolstack turns these into
 * ReplayLog events: writes through NBD are external input to the machine.
 *
 * <p>Called on a connection thread with the export's lock held, right after the change: reading
 * {@code [offset, offset + length)} back from the device inside the callback yields exactly the
 * bytes the client wrote (zeros for WRITE_ZEROES and TRIM), which is what a ReplayLog event must
 * carry. Keep it short and non-blocking.
 */
@FunctionalInterface
public interface WriteListener {
    WriteListener NONE = (offset, length) -> {};

    void onWrite(long offset, long length);
}
