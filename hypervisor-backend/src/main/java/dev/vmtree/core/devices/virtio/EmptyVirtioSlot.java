package dev.vmtree.core.devices.virtio;

import dev.vmtree.core.mem.MmioDevice;

/**
 * A virtio-mmio transport with no device behind it (device id 0), as QEMU's virt board leaves its
 * unused slots: a driver probing every slot reads the magic, version 2 and device id 0 and moves
 * on, instead of taking an access fault. Reads of other registers return 0; writes are ignored.
 * Stateless.
 */
public final class EmptyVirtioSlot implements MmioDevice {

    @Override
    public long read(long offset, int size) {
        if (size != 4) {
            return 0;
        }
        return switch ((int) offset) {
            case 0x00 -> VirtioMmio.MAGIC;
            case 0x04 -> VirtioMmio.VERSION;
            case 0x0C -> VirtioMmio.VENDOR & 0xFFFF_FFFFL;
            default -> 0;
        };
    }

    @Override
    public void write(long offset, int size, long value) {
        // nothing listens
    }
}
