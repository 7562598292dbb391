package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.EntropySource;

/**
 * Everything a {@link Platform} needs from the Machine in one interface: external-interrupt bits
 * of the harts, console output, power requests and entropy. All calls come from the machine thread.
 */
public interface PlatformHost extends ExternalInterrupts, ByteSink, PowerControl, EntropySource, FrameSink {
    /** Frames the network card transmits; the default drops them (a machine with no link). */
    @Override
    default void send(byte[] frame, int offset, int length) {}

    /** The machine's global instruction count now (its virtual clock). */
    default long instructions() {
        return 0;
    }
}
