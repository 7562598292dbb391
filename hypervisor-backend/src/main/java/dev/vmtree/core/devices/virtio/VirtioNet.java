package dev.vmtree.core.devices.virtio;

import dev.vmtree.core.devices.FrameSink;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * virtio-net (device id 1) with one queue pair and the smallest feature set Linux's virtio_net drives:
 * VIRTIO_NET_F_MAC (the card's address in configuration) and VIRTIO_NET_F_STATUS (link up or down, a
 * configuration change when it flips). No checksum offload, no segmentation offload, no mergeable
 * receive buffers: every frame is a whole Ethernet frame of at most {@link #MAX_FRAME} bytes, behind
 * the 12-byte {@code virtio_net_hdr} of a version-1 device.
 *
 * <p>Queue 1 (transmitq) hands each frame the guest sends to a {@link FrameSink} at the moment of
 * the notify. Queue 0 (receiveq) takes frames given to {@link #deliverFrame}: the caller stamps that
 * call with an instruction count (the ReplayLog), and what happens to the frame from then on is a
 * function of the guest's state alone, so a replay reproduces it. A frame waits in a bounded queue of
 * {@link #PENDING_MAX} frames until the driver posts a receive buffer; past that, and when it is not
 * a frame at all, it is dropped and counted, as a real card drops what it has no room for.
 *
 * <p>Hostile guests: a transmit chain without a whole header, or with a frame shorter than an
 * Ethernet header or longer than {@link #MAX_FRAME}, is dropped and counted without a byte read past
 * the limit; a receive buffer too small for the frame drops the frame (the buffer goes back empty).
 * No guest length sizes an allocation: the device owns one buffer of the largest frame.
 */
public final class VirtioNet implements VirtioDevice {
    public static final int ID = 1, RECEIVEQ = 0, TRANSMITQ = 1, QUEUE_MAX = 256;
    /** Feature bits (virtio 1.2, 5.1.3). */
    public static final int F_MAC = 5, F_STATUS = 16;
    /** {@code virtio_net_hdr} with {@code num_buffers}, always present in a version-1 device. */
    public static final int HEADER = 12;
    /** The largest frame either way: 1500 bytes of payload, an Ethernet header and one VLAN tag. */
    public static final int MAX_FRAME = 1518;
    /** The smallest: an Ethernet header. */
    public static final int MIN_FRAME = 14;
    /** Received frames that may wait for receive buffers. */
    public static final int PENDING_MAX = 256;
    private static final int S_LINK_UP = 1;

    private final FrameSink out;
    private byte[] mac;
    private boolean linkUp = true;
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private final byte[] buffer = new byte[HEADER + MAX_FRAME];
    private final Counters counters = new Counters();
    private Queues queues;

    /** Host-side counts of what the card did; not machine state (they are not in a snapshot). */
    public static final class Counters {
        long sent, received, droppedSent, droppedReceived;

        public long sent() { return sent; }
        public long received() { return received; }
        /** Transmit chains the device dropped (link down, no header, a runt, a frame past MAX_FRAME, outside RAM). */
        public long droppedSent() { return droppedSent; }
        /** Frames given to the card it did not place: not a frame, the queue full, a buffer too small. */
        public long droppedReceived() { return droppedReceived; }
    }

    /** A card with address {@code mac} (6 bytes) whose transmitted frames go to {@code out}. */
    public VirtioNet(byte[] mac, FrameSink out) {
        this.mac = checkMac(mac);
        this.out = Objects.requireNonNull(out, "out");
    }

    private static byte[] checkMac(byte[] mac) {
        if (mac == null || mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        return mac.clone();
    }

    public byte[] mac() {
        return mac.clone();
    }

    public Counters counters() {
        return counters;
    }

    public boolean linkUp() {
        return linkUp;
    }

    /**
     * Plugs or pulls the cable. The driver sees the status change through a configuration interrupt
     * (if it has started); frames waiting for buffers are dropped when the link goes down, and frames
     * delivered while it is down are dropped, as on a card whose cable is out.
     */
    public void setLink(boolean up) {
        if (up == linkUp) {
            return;
        }
        linkUp = up;
        if (!up) {
            counters.droppedReceived += pending.size();
            pending.clear();
        }
        if (queues != null) {
            queues.configChanged();
        }
    }

    /**
     * A frame arrives from the wire (the caller stamps the moment). It is copied; returns whether the
     * card kept it (false: dropped and counted).
     */
    public boolean deliverFrame(byte[] frame) {
        if (!linkUp || frame.length < MIN_FRAME || frame.length > MAX_FRAME || pending.size() >= PENDING_MAX) {
            counters.droppedReceived++;
            return false;
        }
        pending.addLast(frame.clone());
        if (queues != null) {
            queues.kick(RECEIVEQ);
        }
        return true;
    }

    /** Frames accepted and not yet in a guest buffer. */
    public int pendingFrames() {
        return pending.size();
    }

    @Override
    public int deviceId() {
        return ID;
    }

    @Override
    public long features() {
        return 1L << F_MAC | 1L << F_STATUS;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int queueMax() {
        return QUEUE_MAX;
    }

    /** Configuration (5.1.4): mac[6] at 0, status (le16) at 6; nothing else is offered. */
    @Override
    public long readConfig(int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | configByte(offset + i);
        }
        return v;
    }

    private int configByte(int at) {
        if (at >= 0 && at < 6) {
            return mac[at] & 0xFF;
        }
        return at == 6 ? (linkUp ? S_LINK_UP : 0) : 0;
    }

    @Override
    public void attach(Queues queues) {
        this.queues = queues;
    }

    @Override
    public void serve(int q) throws VirtqueueException {
        if (q == RECEIVEQ) {
            receive();
        } else if (q == TRANSMITQ) {
            transmit();
        }
    }

    private void receive() throws VirtqueueException {
        Chain chain;
        while (!pending.isEmpty() && (chain = queues.pop(RECEIVEQ)) != null) {
            byte[] frame = pending.removeFirst();
            if (chain.writableLength() < HEADER + frame.length) {
                counters.droppedReceived++;
                queues.push(RECEIVEQ, chain, 0);
                continue;
            }
            Arrays.fill(buffer, 0, HEADER, (byte) 0);
            buffer[10] = 1; // num_buffers = 1 (little-endian u16 at 10): no mergeable buffers
            System.arraycopy(frame, 0, buffer, HEADER, frame.length);
            if (!chain.write(0, buffer, 0, HEADER + frame.length)) {
                counters.droppedReceived++;      // a buffer outside RAM: the frame is lost, as on DMA error
                queues.push(RECEIVEQ, chain, 0);
                continue;
            }
            counters.received++;
            queues.push(RECEIVEQ, chain, HEADER + frame.length);
        }
    }

    private void transmit() throws VirtqueueException {
        Chain chain;
        while ((chain = queues.pop(TRANSMITQ)) != null) {
            long n = chain.readableLength() - HEADER;
            if (linkUp && n >= MIN_FRAME && n <= MAX_FRAME && chain.read(HEADER, buffer, 0, (int) n)) {
                counters.sent++;
                out.send(buffer, 0, (int) n);
            } else {
                counters.droppedSent++;
            }
            queues.push(TRANSMITQ, chain, 0);
        }
    }

    @Override
    public void reset() {
        // frames waiting for buffers belong to no driver now; a real card's FIFO empties on reset too
        counters.droppedReceived += pending.size();
        pending.clear();
    }

    @Override
    public VirtioDeviceState save() {
        return new VirtioDeviceState.Net(mac, linkUp, new ArrayList<>(pending));
    }

    /**
     * Restores the card a snapshot had: its address too (the guest's kernel read it at boot, so a
     * machine restored from a snapshot keeps the snapshot's address whatever this card was made with).
     */
    @Override
    public void restore(VirtioDeviceState state) {
        if (!(state instanceof VirtioDeviceState.Net n) || n.pendingFrames().size() > PENDING_MAX) {
            throw new IllegalArgumentException("state " + state + " does not fit a virtio-net card");
        }
        mac = checkMac(n.mac());
        linkUp = n.linkUp();
        pending.clear();
        List<byte[]> frames = n.pendingFrames();
        for (byte[] f : frames) {
            if (f.length < MIN_FRAME || f.length > MAX_FRAME) {
                throw new IllegalArgumentException("state " + state + " holds a frame of " + f.length + " bytes");
            }
            pending.addLast(f);
        }
    }
}
