package dev.vmtree.core.devices.virtio;

/**
 * A driver broke the virtqueue rules (descriptor loop, ring outside RAM, index out of range ...).
 * Thrown inside the transport and its devices only and caught by {@link VirtioMmio}, which then sets
 * DEVICE_NEEDS_RESET: it never reaches the Machine.
 */
final class VirtqueueException extends Exception {
    VirtqueueException(String message) {
        super(message, null, false, false);
    }
}
