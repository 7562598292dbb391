package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.EntropySource;

/**
 * Everything a {@link Platform} needs from the Machine in one interface: external-interrupt bits
 * of the harts, console output, power requests and entropy. All calls come from the machine thread.
 */
public interface PlatformHost extends ExternalInterrupts, ByteSink, PowerControl, EntropySource {
    /** The machine's global instruction count now (its virtual clock). */
    default long instructions() {
        return 0;
    }
}
