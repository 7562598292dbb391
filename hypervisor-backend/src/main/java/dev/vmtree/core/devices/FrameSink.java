package dev.vmtree.core.devices;

/**
 * Where a network card's transmitted Ethernet frames go (a switch port, a host link). The bytes are
 * the frame without the virtio header and without a frame check sequence, valid only during the
 * call: a sink that keeps them copies them. Must not throw and must not block for long: it is called
 * on the machine thread, inside the guest's notify.
 */
@FunctionalInterface
public interface FrameSink {

    void send(byte[] frame, int offset, int length);
}
