package dev.vmtree.core.devices.virtio;

import java.util.Arrays;

/** The device-specific part of a virtio device's state, one record per device type. */
public sealed interface VirtioDeviceState {

    /** virtio-blk keeps nothing of its own (the disk is captured as an image); the fields check a restore. */
    record Block(long capacityBytes, boolean readOnly) implements VirtioDeviceState {}

    /** virtio-console: input accepted by {@code deliverInput} and not yet placed in a receive buffer. */
    record Console(byte[] pendingInput) implements VirtioDeviceState {
        public Console {
            pendingInput = pendingInput.clone();
        }

        @Override
        public byte[] pendingInput() {
            return pendingInput.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Console c && Arrays.equals(pendingInput, c.pendingInput);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(pendingInput);
        }

        @Override
        public String toString() {
            return "Console[" + pendingInput.length + " bytes pending]";
        }
    }

    /** virtio-rng keeps nothing: entropy comes from the source at the moment a buffer is served. */
    record Rng() implements VirtioDeviceState {}
}
