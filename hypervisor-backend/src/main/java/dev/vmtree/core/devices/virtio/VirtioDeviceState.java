package dev.vmtree.core.devices.virtio;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

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

    /**
     * virtio-net: the card's address (the guest read it at boot), whether its link is up, and the
     * frames delivered and not yet placed in a receive buffer, oldest first.
     */
    record Net(byte[] mac, boolean linkUp, List<byte[]> pendingFrames) implements VirtioDeviceState {
        public Net {
            mac = mac.clone();
            pendingFrames = pendingFrames.stream().map(byte[]::clone).toList();
        }

        @Override
        public byte[] mac() {
            return mac.clone();
        }

        @Override
        public List<byte[]> pendingFrames() {
            return pendingFrames.stream().map(byte[]::clone).toList();
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Net n) || linkUp != n.linkUp || !Arrays.equals(mac, n.mac)
                    || pendingFrames.size() != n.pendingFrames.size()) {
                return false;
            }
            for (int i = 0; i < pendingFrames.size(); i++) {
                if (!Arrays.equals(pendingFrames.get(i), n.pendingFrames.get(i))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            int h = Arrays.hashCode(mac) * 31 + Boolean.hashCode(linkUp);
            for (byte[] f : pendingFrames) {
                h = h * 31 + Arrays.hashCode(f);
            }
            return h;
        }

        @Override
        public String toString() {
            return "Net[" + HexFormat.ofDelimiter(":").formatHex(mac) + (linkUp ? ", up, " : ", down, ")
                    + pendingFrames.size() + " frames pending]";
        }
    }
}
