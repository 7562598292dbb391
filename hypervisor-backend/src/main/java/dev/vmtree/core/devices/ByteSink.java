package dev.vmtree.core.devices;

/** Where a console device's transmitted bytes go (the Machine's console output). Must not throw. */
@FunctionalInterface
public interface ByteSink {

    void put(byte b);
}
