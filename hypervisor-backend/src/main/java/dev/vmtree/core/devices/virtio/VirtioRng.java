package dev.vmtree.core.devices.virtio;

import java.util.Objects;

/**
 * virtio-rng (device id 4): one request queue whose writable buffers are filled from an
 * {@link EntropySource}. When the source has nothing, the buffer stays in the ring untouched; the
 * Machine calls {@link #entropyArrived} after feeding the source, and waiting buffers are served
 * then. At most 4 KiB go into one buffer, so a guest asking for gigabytes gets a short answer (as
 * the spec allows) rather than stalling the host.
 */
public final class VirtioRng implements VirtioDevice {
    public static final int ID = 4, QUEUE_MAX = 64, MAX_PER_BUFFER = 4096;

    private final EntropySource source;
    private final byte[] buffer = new byte[MAX_PER_BUFFER];
    private Queues queues;

    public VirtioRng(EntropySource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    /** New bytes are in the source: serve buffers the driver left waiting. */
    public void entropyArrived() {
        if (queues != null) {
            queues.kick(0);
        }
    }

    @Override
    public int deviceId() {
        return ID;
    }

    @Override
    public long features() {
        return 0;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int queueMax() {
        return QUEUE_MAX;
    }

    @Override
    public long readConfig(int offset, int size) {
        return 0; // no configuration
    }

    @Override
    public void attach(Queues queues) {
        this.queues = queues;
    }

    @Override
    public void serve(int q) throws VirtqueueException {
        Chain chain;
        while ((chain = queues.pop(0)) != null) {
            int want = (int) Math.min(chain.writableLength(), MAX_PER_BUFFER);
            if (want == 0) {
                queues.push(0, chain, 0);
                continue;
            }
            int n = Math.max(0, Math.min(want, source.fill(buffer, 0, want)));
            if (n == 0) {
                queues.unpop(0); // wait for entropyArrived
                return;
            }
            queues.push(0, chain, chain.write(0, buffer, 0, n) ? n : 0);
        }
    }

    @Override
    public VirtioDeviceState save() {
        return new VirtioDeviceState.Rng();
    }

    @Override
    public void restore(VirtioDeviceState state) {
        if (!(state instanceof VirtioDeviceState.Rng)) {
            throw new IllegalArgumentException("state " + state + " is not a virtio-rng state");
        }
    }
}
