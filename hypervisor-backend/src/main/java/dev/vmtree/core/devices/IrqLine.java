package dev.vmtree.core.devices;

/**
 * One level-triggered interrupt wire from a device to an interrupt controller (for example one
 * {@link Plic} source). Devices call {@link #set} whenever their level may have changed; setting the
 * same level again is harmless. Called only from the thread that runs the machine.
 */
@FunctionalInterface
public interface IrqLine {

    /** A line tied to nothing (a device that is not wired yet, or a test that ignores interrupts). */
    IrqLine NONE = high -> {};

    void set(boolean high);
}
