package dev.vmtree.core.devices;

/**
 * Told when the guest asks the {@link Syscon} to end the machine. The Machine implements it by
 * stopping the run with SHUTDOWN, REBOOT or GUEST_FAILURE at the current instruction.
 */
public interface PowerControl {

    void powerOff();

    void reboot();

    /** A failure exit with the code the guest wrote in bits 31:16. */
    void fail(int code);
}
