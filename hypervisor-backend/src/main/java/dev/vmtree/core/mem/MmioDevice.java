package dev.vmtree.core.mem;

/**
 * A memory-mapped device: two small callbacks, as in TinyEMU. Offsets are relative to the start of
 * the device's range; {@code size} is 1, 2, 4 or 8 and the access is naturally aligned (the core
 * raises an access fault for misaligned MMIO before calling). Values are little-endian, zero-extended.
 *
 * <p>Called only from the thread that runs the machine. A device must never throw for any guest
 * value: unknown registers read as zero and ignore writes.
 */
public interface MmioDevice {

    long read(long offset, int size);

    void write(long offset, int size, long value);
}
