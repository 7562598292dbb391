package dev.vmtree.core.devices;

/**
 * DMA view of guest-physical memory for devices (virtio rings and buffers). Both calls return
 * false, and copy nothing, when any byte of the range lies outside RAM; they never throw for a
 * guest-chosen address or length. The Machine can implement it with its {@code MemorySystem}
 * ({@code memory()::readRam} / {@code memory()::writeRam}, which keep decoded-code caches
 * coherent) or use {@link RamDma}. Called only from the thread that runs the machine.
 */
public interface GuestMemoryAccess {

    boolean read(long pa, byte[] dst, int off, int len);

    boolean write(long pa, byte[] src, int off, int len);
}
