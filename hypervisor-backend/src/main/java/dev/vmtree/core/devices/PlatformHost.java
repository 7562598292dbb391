package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.EntropySource;

/**
 * Everything a {@link Platform} needs from the Machine in one interface: external-interrupt bits
 * of the harts, console output, power requests and entropy. All calls come from the machine thread.
 */
public interface PlatformHost extends ExternalInterrupts, ByteSink, PowerControl, EntropySource {}
