package dev.vmtree.core.devices.virtio;

/**
 * A virtio device behind a {@link VirtioMmio} transport. The transport owns the registers, feature
 * negotiation and queues; the device says what it is and serves its queues when told. It talks back
 * only through the {@link Queues} handle it is given. Called only from the machine thread.
 */
public sealed interface VirtioDevice permits VirtioBlock, VirtioConsole, VirtioNet, VirtioRng {

    int deviceId();

    /** Device-specific feature bits offered (VIRTIO_F_VERSION_1 is added by the transport). */
    long features();

    int queueCount();

    /** QueueNumMax: the largest size the driver may choose, a power of two. */
    int queueMax();

    /** A little-endian read of {@code size} (1, 2, 4) bytes of device configuration; 0 past its end. */
    long readConfig(int offset, int size);

    /** The driver writes configuration; most devices ignore it. */
    default void writeConfig(int offset, int size, long value) {}

    /** Called once by the transport: how the device reaches its queues and raises interrupts. */
    void attach(Queues queues);

    /** The driver notified queue {@code q}, or the device asked to be served ({@link Queues#kick}). */
    void serve(int q) throws VirtqueueException;

    /**
     * Whether the device paces queue {@code q}: {@link #serve} then moves at most a budget of bytes
     * and leaves the rest of the queue available for {@link #checkPoint}, so no guest store makes the
     * host copy without bound. What is held back lives in the ring itself (no extra state).
     */
    default boolean paced(int q) {
        return false;
    }

    /**
     * The machine reached a check point (a global instruction count, so the moment is the same in
     * every run): serve some of what paced queue {@code q} holds back. Called only for ready queues.
     */
    default void checkPoint(int q) throws VirtqueueException {}

    /** Drops device state that depends on the driver (the transport was reset). */
    default void reset() {}

    VirtioDeviceState save();

    /** Restores what {@link #save} returned; throws IllegalArgumentException for another device's state. */
    void restore(VirtioDeviceState state);

    /** What the transport lends its device. */
    interface Queues {
        /** The next available chain of queue {@code q}, or null. */
        Chain pop(int q) throws VirtqueueException;

        /** Puts back the chain just popped from {@code q}, untouched. */
        void unpop(int q);

        /** Hands a chain back with {@code written} bytes written, and raises the used-buffer interrupt. */
        void push(int q, Chain chain, long written) throws VirtqueueException;

        /** Asks for {@link #serve} on queue q now if the driver has made it usable; otherwise nothing. */
        void kick(int q);

        /** The device's configuration changed (a link came up or went down): tell the driver. */
        void configChanged();

        /** The driver negotiated {@code bit}. */
        boolean negotiated(int bit);
    }
}
