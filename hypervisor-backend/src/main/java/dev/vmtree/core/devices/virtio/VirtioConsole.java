package dev.vmtree.core.devices.virtio;

import dev.vmtree.core.devices.ByteSink;
import java.util.Objects;

/**
 * virtio-console (device id 3) with one port and no optional features: queue 0 (receiveq) carries
 * input to the guest, queue 1 (transmitq) output to a {@link ByteSink}. Input enters only through
 * {@link #deliverInput}, which takes what fits in a bounded buffer and returns how much, so the
 * caller keeps the rest; it is moved into receive buffers as soon as the driver has some. At most
 * 64 KiB of one transmit chain is printed (the rest of a hostile giant chain is skipped).
 */
public final class VirtioConsole implements VirtioDevice {
    public static final int ID = 3, RECEIVEQ = 0, TRANSMITQ = 1, QUEUE_MAX = 64;
    private static final int TX_LIMIT = 64 * 1024;

    private final ByteSink out;
    private final byte[] pending;
    private int head, count;
    private final byte[] buffer = new byte[4096];
    private Queues queues;

    /** {@code inputBuffer} bytes of input may wait for receive buffers (at least 1). */
    public VirtioConsole(ByteSink out, int inputBuffer) {
        if (inputBuffer < 1 || inputBuffer > 1 << 24) {
            throw new IllegalArgumentException("console input buffer must be 1..16777216 bytes, got " + inputBuffer);
        }
        this.out = Objects.requireNonNull(out, "out");
        this.pending = new byte[inputBuffer];
    }

    /** Queues guest input; returns how many leading bytes fitted (the rest stays the caller's). */
    public int deliverInput(byte[] data) {
        int n = Math.min(data.length, pending.length - count);
        for (int i = 0; i < n; i++) {
            pending[(head + count + i) % pending.length] = data[i];
        }
        count += n;
        if (queues != null) {
            queues.kick(RECEIVEQ);
        }
        return n;
    }

    /** Bytes accepted and not yet in a guest buffer. */
    public int pendingInput() {
        return count;
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
        return 2;
    }

    @Override
    public int queueMax() {
        return QUEUE_MAX;
    }

    @Override
    public long readConfig(int offset, int size) {
        return 0; // cols, rows, max_nr_ports, emerg_wr: meaningless without SIZE, MULTIPORT, EMERG_WRITE
    }

    @Override
    public void attach(Queues queues) {
        this.queues = queues;
    }

    @Override
    public void serve(int q) throws VirtqueueException {
        if (q == RECEIVEQ) {
            receive();
        } else {
            transmit();
        }
    }

    private void receive() throws VirtqueueException {
        Chain chain;
        while (count > 0 && (chain = queues.pop(RECEIVEQ)) != null) {
            long room = chain.writableLength();
            if (room == 0) {
                queues.push(RECEIVEQ, chain, 0); // a buffer with no room: hand it back empty
                continue;
            }
            int n = (int) Math.min(Math.min(room, count), buffer.length);
            for (int i = 0; i < n; i++) {
                buffer[i] = pending[(head + i) % pending.length];
            }
            if (!chain.write(0, buffer, 0, n)) {
                queues.push(RECEIVEQ, chain, 0); // outside RAM: the input stays for the next buffer
                continue;
            }
            head = (head + n) % pending.length;
            count -= n;
            queues.push(RECEIVEQ, chain, n);
        }
    }

    private void transmit() throws VirtqueueException {
        Chain chain;
        while ((chain = queues.pop(TRANSMITQ)) != null) {
            long n = Math.min(chain.readableLength(), TX_LIMIT);
            for (long done = 0; done < n; ) {
                int m = (int) Math.min(buffer.length, n - done);
                if (!chain.read(done, buffer, 0, m)) {
                    break; // outside RAM: print what was readable
                }
                for (int i = 0; i < m; i++) {
                    out.put(buffer[i]);
                }
                done += m;
            }
            queues.push(TRANSMITQ, chain, 0);
        }
    }

    @Override
    public VirtioDeviceState save() {
        byte[] p = new byte[count];
        for (int i = 0; i < count; i++) {
            p[i] = pending[(head + i) % pending.length];
        }
        return new VirtioDeviceState.Console(p);
    }

    @Override
    public void restore(VirtioDeviceState state) {
        if (!(state instanceof VirtioDeviceState.Console c) || c.pendingInput().length > pending.length) {
            throw new IllegalArgumentException("state " + state + " does not fit a virtio-console with a "
                    + pending.length + "-byte input buffer");
        }
        byte[] p = c.pendingInput();
        System.arraycopy(p, 0, pending, 0, p.length);
        head = 0;
        count = p.length;
    }
}
