package dev.vmtree.core.devices.virtio;

import java.util.List;

/**
 * Everything a {@link VirtioMmio} transport and its device remember: the status byte, the feature
 * selectors and negotiated driver features, the selected queue, the interrupt status, the config
 * generation, each queue, and the device's own state. Immutable.
 */
public record VirtioMmioState(int status, int deviceFeaturesSel, int driverFeaturesSel, long driverFeatures,
        int queueSel, int interruptStatus, int configGeneration, List<QueueState> queues,
        VirtioDeviceState device) {

    public VirtioMmioState {
        queues = List.copyOf(queues);
    }
}
