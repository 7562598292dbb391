package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.VirtioMmioState;
import java.util.List;

/** The state of every device of a {@link Platform}: PLIC, UART and each virtio slot in map order. Immutable. */
public record PlatformState(PlicState plic, UartState uart, List<VirtioMmioState> virtio) {

    public PlatformState {
        virtio = List.copyOf(virtio);
    }
}
