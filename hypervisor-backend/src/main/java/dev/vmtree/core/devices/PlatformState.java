package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.VirtioMmioState;
import java.util.List;

/**
 * The state of every device of a {@link Platform}: PLIC, UART, each virtio slot in map order, and
 * on machine types that have them the RTC and the VM generation ID (null otherwise). Immutable.
 */
public record PlatformState(PlicState plic, UartState uart, List<VirtioMmioState> virtio, RtcState rtc,
        VmGenIdState generationId) {

    public PlatformState {
        virtio = List.copyOf(virtio);
    }

    /** A platform without RTC and generation ID. */
    public PlatformState(PlicState plic, UartState uart, List<VirtioMmioState> virtio) {
        this(plic, uart, virtio, null, null);
    }

    /** This state with the RTC and generation ID records (decoded from their own sections). */
    public PlatformState with(RtcState newRtc, VmGenIdState newGenerationId) {
        return new PlatformState(plic, uart, virtio, newRtc, newGenerationId);
    }
}
