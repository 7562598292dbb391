package dev.vmtree.core.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.devices.GuestMemoryAccess;
import dev.vmtree.core.devices.RamDma;
import dev.vmtree.cow.InMemoryPagedImage;

/**
 * A minimal virtio-mmio driver for tests, over 1 MiB of guest RAM at 0x8000_0000: negotiates
 * features, lays out each queue at a fixed place, builds descriptor chains and reads the used ring.
 * Counts the bytes the device moves through its DMA view ({@link #dmaBytes}); past {@link #dmaLimit}
 * a DMA throws, so a test of a bound fails at once instead of copying gigabytes.
 */
final class VirtioDriver {
    static final long BASE = 0x8000_0000L, RAM = 1 << 20;
    static final long DATA = BASE + 0x40000; // buffers live from here on

    final InMemoryPagedImage image;
    final RamDma ram;
    final VirtioMmio mmio;
    long dmaBytes;
    long dmaLimit = Long.MAX_VALUE;
    boolean irq;
    private final int[] num = new int[4];
    private final int[] nextDesc = new int[4];
    private final int[] availIdx = new int[4];
    private final int[] usedSeen = new int[4];

    VirtioDriver(VirtioDevice device) {
        this(device, new InMemoryPagedImage(RAM, 4096));
    }

    VirtioDriver(VirtioDevice device, InMemoryPagedImage image) {
        this.image = image;
        this.ram = new RamDma(image, BASE);
        GuestMemoryAccess counted = new GuestMemoryAccess() {
            @Override
            public boolean read(long pa, byte[] dst, int off, int len) {
                count(len);
                return ram.read(pa, dst, off, len);
            }

            @Override
            public boolean write(long pa, byte[] src, int off, int len) {
                count(len);
                return ram.write(pa, src, off, len);
            }
        };
        mmio = new VirtioMmio(device, counted, high -> irq = high);
    }

    private void count(int len) {
        dmaBytes += len;
        if (dmaBytes > dmaLimit) {
            throw new AssertionError("the device moved more than " + dmaLimit + " bytes");
        }
    }

    /** Takes over another driver's bookkeeping (after restoring its device state and RAM here). */
    void adopt(VirtioDriver other) {
        System.arraycopy(other.num, 0, num, 0, num.length);
        System.arraycopy(other.nextDesc, 0, nextDesc, 0, num.length);
        System.arraycopy(other.availIdx, 0, availIdx, 0, num.length);
        System.arraycopy(other.usedSeen, 0, usedSeen, 0, num.length);
    }

    static long desc(int q) {
        return BASE + 0x10000L * (q + 1);
    }

    static long avail(int q) {
        return desc(q) + 0x4000;
    }

    static long used(int q) {
        return desc(q) + 0x8000;
    }

    int r(int reg) {
        return (int) mmio.read(reg, 4);
    }

    void w(int reg, long v) {
        mmio.write(reg, 4, v);
    }

    /** Full initialisation as Linux does it; returns the status read back. */
    int start(long features, int queueSize) {
        assertThat(r(0x00)).isEqualTo(VirtioMmio.MAGIC);
        assertThat(r(0x04)).isEqualTo(2);
        w(0x70, 0);
        w(0x70, VirtioMmio.ACKNOWLEDGE);
        w(0x70, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER);
        w(0x24, 0);
        w(0x20, features);
        w(0x24, 1);
        w(0x20, features >>> 32);
        w(0x70, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK);
        if ((r(0x70) & VirtioMmio.FEATURES_OK) == 0) {
            return r(0x70);
        }
        for (int q = 0; q < mmio.device().queueCount(); q++) {
            setupQueue(q, queueSize);
            w(0x44, 1);
        }
        w(0x70, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK | VirtioMmio.DRIVER_OK);
        return r(0x70);
    }

    void setupQueue(int q, int size) {
        w(0x30, q);
        w(0x38, size);
        w(0x80, desc(q));
        w(0x84, desc(q) >>> 32);
        w(0x90, avail(q));
        w(0x94, avail(q) >>> 32);
        w(0xA0, used(q));
        w(0xA4, used(q) >>> 32);
        num[q] = size;
        // fresh rings, as a driver allocates them at probe
        image.write(desc(q) - BASE, new byte[0xC000], 0, 0xC000);
        nextDesc[q] = 0;
        availIdx[q] = 0;
        usedSeen[q] = 0;
    }

    /** One buffer: guest address, length, device-writable. */
    record Buf(long addr, long len, boolean write) {}

    /** Writes a descriptor at index i of queue q (raw, for hostile tests). */
    void rawDesc(int q, int i, long addr, long len, int flags, int next) {
        long at = desc(q) + 16L * i;
        image.store(at - BASE, 8, addr);
        image.store(at + 8 - BASE, 4, len);
        image.store(at + 12 - BASE, 2, flags);
        image.store(at + 14 - BASE, 2, next);
    }

    /** Makes descriptor {@code head} available (without notifying). */
    void offer(int q, int head) {
        image.store(avail(q) + 4 + 2L * (availIdx[q] % Math.max(1, num[q])) - BASE, 2, head);
        availIdx[q] = (availIdx[q] + 1) & 0xFFFF;
        image.store(avail(q) + 2 - BASE, 2, availIdx[q]);
    }

    /** Builds a chain from the next free descriptors, offers it and returns its head. */
    int chain(int q, Buf... bufs) {
        int head = nextDesc[q];
        for (int k = 0; k < bufs.length; k++) {
            int i = (head + k) % num[q];
            int next = (i + 1) % num[q];
            rawDesc(q, i, bufs[k].addr(), bufs[k].len(), (k + 1 < bufs.length ? 1 : 0) | (bufs[k].write() ? 2 : 0), next);
        }
        nextDesc[q] = (head + bufs.length) % num[q];
        offer(q, head);
        return head;
    }

    void notify(int q) {
        w(0x50, q);
    }

    int usedIdx(int q) {
        return (int) image.load(used(q) + 2 - BASE, 2);
    }

    /** The next used element {id, len} not yet seen, or null. */
    long[] nextUsed(int q) {
        if (usedIdx(q) == usedSeen[q]) {
            return null;
        }
        long at = used(q) + 4 + 8L * (usedSeen[q] % num[q]) - BASE;
        usedSeen[q] = (usedSeen[q] + 1) & 0xFFFF;
        return new long[] {image.load(at, 4), image.load(at + 4, 4)};
    }

    void put(long pa, byte[] b) {
        image.write(pa - BASE, b, 0, b.length);
    }

    byte[] get(long pa, int n) {
        byte[] b = new byte[n];
        image.read(pa - BASE, b, 0, n);
        return b;
    }
}
