package dev.vmtree.core.devices.virtio;

import dev.vmtree.core.devices.GuestMemoryAccess;

/**
 * A split virtqueue (virtio 1.x §2.7) read and written through guest memory. Everything the
 * driver wrote is distrusted: ring indices more than a queue ahead, head and next indices past the
 * table, chains longer than the queue (loops), indirect descriptors (not offered), readable buffers
 * after writable ones and rings outside RAM all raise {@link VirtqueueException}, which makes the
 * transport set DEVICE_NEEDS_RESET. Not thread-safe.
 */
public final class Virtqueue {
    static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;

    private final GuestMemoryAccess memory;
    private final byte[] scratch = new byte[16];
    int num;
    boolean ready;
    long desc, driver, device;
    int lastAvail, usedIdx;

    Virtqueue(GuestMemoryAccess memory) {
        this.memory = memory;
    }

    QueueState save() {
        return new QueueState(num, ready, desc, driver, device, lastAvail, usedIdx);
    }

    void restore(QueueState s) {
        num = s.num();
        ready = s.ready();
        desc = s.desc();
        driver = s.driver();
        device = s.device();
        lastAvail = s.lastAvail() & 0xFFFF;
        usedIdx = s.usedIdx() & 0xFFFF;
    }

    /** Whether the driver made {@code num} entries available at valid, aligned addresses in RAM. */
    static boolean layoutValid(GuestMemoryAccess memory, int num, int max, long desc, long driver, long device) {
        if (num < 1 || num > max || Integer.bitCount(num) != 1) {
            return false;
        }
        if ((desc & 15) != 0 || (driver & 1) != 0 || (device & 3) != 0) {
            return false;
        }
        byte[] probe = new byte[1];
        return inRam(memory, desc, 16L * num, probe) && inRam(memory, driver, 6L + 2L * num, probe)
                && inRam(memory, device, 6L + 8L * num, probe);
    }

    // RAM is contiguous, so a range is in RAM when its first and last bytes are.
    private static boolean inRam(GuestMemoryAccess memory, long at, long len, byte[] probe) {
        return at + len - 1 >= at && memory.read(at, probe, 0, 1) && memory.read(at + len - 1, probe, 0, 1);
    }

    /** Whether the driver's available index is ahead of the last chain taken (one read of guest RAM). */
    boolean hasAvailable() throws VirtqueueException {
        return u16(driver + 2) != lastAvail;
    }

    /** The next available chain, or null when the driver has made none available. */
    Chain pop() throws VirtqueueException {
        int avail = u16(driver + 2);
        int ahead = (avail - lastAvail) & 0xFFFF;
        if (ahead == 0) {
            return null;
        }
        if (ahead > num) {
            throw new VirtqueueException("available index " + avail + " is " + ahead + " entries ahead of a queue of " + num);
        }
        int head = u16(driver + 4 + 2L * (lastAvail & (num - 1)));
        long[] addr = new long[4];
        long[] len = new long[4];
        int count = 0, readable = 0;
        int i = head;
        while (true) {
            if (i >= num) {
                throw new VirtqueueException("descriptor index " + i + " outside a table of " + num);
            }
            if (count == num) {
                throw new VirtqueueException("descriptor chain from " + head + " is longer than the queue (a loop)");
            }
            if (!memory.read(desc + 16L * i, scratch, 0, 16)) {
                throw new VirtqueueException("descriptor table outside RAM");
            }
            int flags = le(scratch, 12, 2);
            if ((flags & DESC_F_INDIRECT) != 0) {
                throw new VirtqueueException("indirect descriptor, which was not offered");
            }
            if (count == addr.length) {
                addr = java.util.Arrays.copyOf(addr, 2 * count);
                len = java.util.Arrays.copyOf(len, 2 * count);
            }
            addr[count] = leLong(scratch, 0, 8);
            len[count] = le(scratch, 8, 4) & 0xFFFF_FFFFL;
            if ((flags & DESC_F_WRITE) == 0) {
                if (readable != count) {
                    throw new VirtqueueException("device-readable descriptor after a writable one");
                }
                readable++;
            }
            count++;
            if ((flags & DESC_F_NEXT) == 0) {
                break;
            }
            i = le(scratch, 14, 2);
        }
        lastAvail = (lastAvail + 1) & 0xFFFF;
        return new Chain(memory, head, addr, len, readable, count);
    }

    /** Puts the last popped chain back (a device that cannot serve it yet, e.g. no entropy). */
    void unpop() {
        lastAvail = (lastAvail - 1) & 0xFFFF;
    }

    /** Returns a chain to the driver with {@code written} bytes written into its writable buffers. */
    void push(Chain chain, long written) throws VirtqueueException {
        put(scratch, 0, 4, chain.head());
        put(scratch, 4, 4, (int) Math.min(written, 0xFFFF_FFFFL));
        if (!memory.write(device + 4 + 8L * (usedIdx & (num - 1)), scratch, 0, 8)) {
            throw new VirtqueueException("used ring outside RAM");
        }
        usedIdx = (usedIdx + 1) & 0xFFFF;
        put(scratch, 0, 2, usedIdx);
        if (!memory.write(device + 2, scratch, 0, 2)) {
            throw new VirtqueueException("used ring outside RAM");
        }
    }

    private int u16(long pa) throws VirtqueueException {
        if (!memory.read(pa, scratch, 0, 2)) {
            throw new VirtqueueException("driver ring outside RAM");
        }
        return le(scratch, 0, 2);
    }

    static int le(byte[] b, int at, int n) {
        return (int) leLong(b, at, n);
    }

    static long leLong(byte[] b, int at, int n) {
        long v = 0;
        for (int k = n - 1; k >= 0; k--) {
            v = (v << 8) | (b[at + k] & 0xFF);
        }
        return v;
    }

    static void put(byte[] b, int at, int n, long v) {
        for (int k = 0; k < n; k++) {
            b[at + k] = (byte) (v >>> (8 * k));
        }
    }
}
