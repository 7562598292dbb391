package dev.vmtree.core.devices.virtio;

/**
 * One split virtqueue as the transport remembers it: the size the driver chose, whether it is
 * ready, the guest-physical addresses of the descriptor table, driver (available) ring and device
 * (used) ring, and the device's own indices (next available entry to take, next used index).
 */
public record QueueState(int num, boolean ready, long desc, long driver, long device, int lastAvail,
        int usedIdx) {

    public static final QueueState RESET = new QueueState(0, false, 0, 0, 0, 0, 0);
}
