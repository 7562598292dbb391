package dev.vmtree.core.devices.virtio;

import dev.vmtree.core.devices.GuestMemoryAccess;

/**
 * One descriptor chain taken from the available ring: its head index and its buffers, the
 * device-readable ones first, then the device-writable ones (the order the spec demands; a chain
 * that breaks it is rejected when it is taken). Offsets into the readable or writable part run
 * across buffers. Not thread-safe.
 */
public final class Chain {
    private final GuestMemoryAccess memory;
    private final int head;
    private final long[] addr;
    private final long[] len;
    private final int readableCount, count;
    private final long readableLength, writableLength;

    Chain(GuestMemoryAccess memory, int head, long[] addr, long[] len, int readableCount, int count) {
        this.memory = memory;
        this.head = head;
        this.addr = addr;
        this.len = len;
        this.readableCount = readableCount;
        this.count = count;
        long r = 0, w = 0;
        for (int i = 0; i < count; i++) {
            if (i < readableCount) {
                r += len[i];
            } else {
                w += len[i];
            }
        }
        this.readableLength = r;
        this.writableLength = w;
    }

    public int head() {
        return head;
    }

    /** How many descriptors the chain has. */
    public int descriptors() {
        return count;
    }

    public long readableLength() {
        return readableLength;
    }

    public long writableLength() {
        return writableLength;
    }

    /**
     * Whether the chain's data fits the limits a device advertised: the data are the readable bytes
     * after a header of {@code header} bytes and the writable bytes before a trailer of
     * {@code trailer} bytes; each descriptor's share of them is one segment. True when there are at
     * most {@code maxSegments} segments and none is longer than {@code maxSegment} bytes.
     */
    public boolean dataFits(long header, long trailer, int maxSegments, long maxSegment) {
        int segments = 0;
        long at = 0;
        for (int i = 0; i < count; i++) {
            if (i == readableCount) {
                at = 0;
            }
            long from = i < readableCount ? header : 0;
            long to = i < readableCount ? readableLength : writableLength - trailer;
            long share = Math.min(at + len[i], to) - Math.max(at, from);
            if (share > 0 && (++segments > maxSegments || share > maxSegment)) {
                return false;
            }
            at += len[i];
        }
        return true;
    }

    /** Copies {@code n} readable bytes from offset {@code from}; false if they are not all there or not in RAM. */
    public boolean read(long from, byte[] dst, int off, int n) {
        return copy(0, readableCount, from, dst, off, n, false);
    }

    /** Copies {@code n} bytes into the writable part at offset {@code at}; false if out of the buffers or RAM. */
    public boolean write(long at, byte[] src, int off, int n) {
        return copy(readableCount, count, at, src, off, n, true);
    }

    private boolean copy(int first, int end, long at, byte[] buf, int off, int n, boolean toGuest) {
        if (at < 0 || n < 0) {
            return false;
        }
        int i = first;
        while (i < end && at >= len[i]) {
            at -= len[i];
            i++;
        }
        while (n > 0) {
            if (i >= end) {
                return false;
            }
            int m = (int) Math.min(n, len[i] - at);
            boolean ok = toGuest ? memory.write(addr[i] + at, buf, off, m) : memory.read(addr[i] + at, buf, off, m);
            if (!ok) {
                return false;
            }
            off += m;
            n -= m;
            at = 0;
            i++;
        }
        return true;
    }
}
