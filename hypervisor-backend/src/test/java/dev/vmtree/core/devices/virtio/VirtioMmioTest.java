package dev.vmtree.core.devices.virtio;

import static dev.vmtree.core.devices.virtio.VirtioDriver.BASE;
import static dev.vmtree.core.devices.virtio.VirtioDriver.DATA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.devices.virtio.VirtioDriver.Buf;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.disk.VirtualDisk;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VirtioMmioTest {
    static final long V1 = 1L << 32;
    private final VirtualDisk disk = VirtualDisk.blank(1 << 20);
    private final VirtioDriver d = new VirtioDriver(new VirtioBlock(disk, false, "d"));

    private boolean needsReset() {
        return (d.r(0x70) & VirtioMmio.DEVICE_NEEDS_RESET) != 0;
    }

    private int flush(int slot) {
        long h = DATA + 32L * slot;
        byte[] hdr = new byte[16];
        Virtqueue.put(hdr, 0, 4, VirtioBlock.T_FLUSH);
        d.put(h, hdr);
        return d.chain(0, new Buf(h, 16, false), new Buf(DATA + 0x1000 + slot, 1, true));
    }

    @Test
    void identifiesItselfAsAModernTransport() {
        assertThat(d.r(0x00)).isEqualTo(0x74726976);
        assertThat(d.r(0x04)).isEqualTo(2);
        assertThat(d.r(0x0C)).isEqualTo(VirtioMmio.VENDOR);
        assertThat(d.r(0x34)).isEqualTo(VirtioBlock.QUEUE_MAX);
        d.w(0x30, 1);
        assertThat(d.r(0x34)).isZero(); // no queue 1
        assertThat(d.mmio.read(0x00, 2)).isZero(); // registers are 32-bit only
        assertThat(d.r(0xB0)).isEqualTo(-1); // no shared memory region
    }

    @Test
    void featuresOkIsRefusedWithoutVersion1OrWithFeaturesNotOffered() {
        assertThat(d.start(0, 8) & VirtioMmio.FEATURES_OK).isZero();
        assertThat(d.start(V1 | 1L << 20, 8) & VirtioMmio.FEATURES_OK).isZero();
        assertThat(d.start(V1, 8) & VirtioMmio.FEATURES_OK).isNotZero();
        d.w(0x24, 0);
        d.w(0x20, 1L << VirtioBlock.F_FLUSH); // after FEATURES_OK the features are fixed
        d.w(0x70, 0x0F);
        assertThat(d.mmio.save().driverFeatures()).isEqualTo(V1);
    }

    @Test
    void badQueueSizesAndRingAddressesNeverBecomeReady() {
        d.start(V1, 8);
        d.w(0x70, 0);
        d.w(0x70, 3);
        for (int size : new int[] {0, 3, 12, 512, -1}) {
            d.setupQueue(0, size);
            d.w(0x44, 1);
            assertThat(d.r(0x44)).as("size %d", size).isZero();
        }
        d.setupQueue(0, 8);
        d.w(0x80, VirtioDriver.desc(0) + 8); // misaligned descriptor table
        d.w(0x44, 1);
        assertThat(d.r(0x44)).isZero();
        d.w(0x80, 0x1000); // outside RAM
        d.w(0x84, 0);
        d.w(0x44, 1);
        assertThat(d.r(0x44)).isZero();
        d.w(0x90, BASE + VirtioDriver.RAM - 4); // avail ring runs off the end of RAM
        d.w(0x80, VirtioDriver.desc(0));
        d.w(0x44, 1);
        assertThat(d.r(0x44)).isZero();
        d.setupQueue(0, 8);
        d.w(0x44, 1);
        assertThat(d.r(0x44)).isEqualTo(1);
        d.w(0x80, 0x1000); // frozen while ready
        assertThat(d.mmio.save().queues().get(0).desc()).isEqualTo(VirtioDriver.desc(0));
    }

    @Test
    void notificationsBeforeReadyOrDriverOkOrForMissingQueuesAreIgnored() {
        d.w(0x70, 3);
        d.setupQueue(0, 8);
        flush(0);
        d.notify(0); // not ready
        d.w(0x44, 1);
        d.notify(0); // not DRIVER_OK
        d.notify(5);
        d.notify(-1);
        assertThat(d.usedIdx(0)).isZero();
        assertThat(d.irq).isFalse();
        assertThat(needsReset()).isFalse();
    }

    private void expectNeedsReset() {
        d.notify(0);
        assertThat(needsReset()).isTrue();
        assertThat(d.r(0x60) & VirtioMmio.INT_CONFIG).isNotZero();
        assertThat(d.irq).isTrue();
        assertThat(d.usedIdx(0)).isZero();
        flush(1);
        d.notify(0); // the device stays stopped until a reset
        assertThat(d.usedIdx(0)).isZero();
    }

    @Test
    void aDescriptorLoopNeedsAReset() {
        d.start(V1, 8);
        d.rawDesc(0, 0, DATA, 16, 1, 1);
        d.rawDesc(0, 1, DATA, 16, 1, 0);
        d.offer(0, 0);
        expectNeedsReset();
    }

    @Test
    void aHeadOrNextIndexOutsideTheTableNeedsAReset() {
        d.start(V1, 8);
        d.offer(0, 8);
        expectNeedsReset();
        d.start(V1, 8);
        d.rawDesc(0, 0, DATA, 16, 1, 200);
        d.offer(0, 0);
        expectNeedsReset();
    }

    @Test
    void anAvailableIndexRunningAheadOfTheQueueNeedsAReset() {
        d.start(V1, 8);
        d.image.store(VirtioDriver.avail(0) + 2 - BASE, 2, 9);
        expectNeedsReset();
    }

    @Test
    void indirectOrMisorderedDescriptorsNeedAReset() {
        d.start(V1, 8);
        d.rawDesc(0, 0, DATA, 16, Virtqueue.DESC_F_INDIRECT, 0);
        d.offer(0, 0);
        expectNeedsReset();
        d.start(V1, 8);
        d.rawDesc(0, 0, DATA, 1, Virtqueue.DESC_F_WRITE | Virtqueue.DESC_F_NEXT, 1);
        d.rawDesc(0, 1, DATA, 16, 0, 0);
        d.offer(0, 0);
        expectNeedsReset();
    }

    @Test
    void aUsedRingThatLeftRamAfterReadyNeedsAReset() {
        // the driver cannot move it while ready, but a restored state can hold anything
        d.start(V1, 8);
        VirtioMmioState s = d.mmio.save();
        QueueState q = s.queues().get(0);
        d.mmio.restore(new VirtioMmioState(s.status(), 0, 0, s.driverFeatures(), 0, 0, 0,
                java.util.List.of(new QueueState(8, true, q.desc(), q.driver(), 0x10, 0, 0)), s.device()));
        flush(0);
        d.notify(0);
        assertThat(needsReset()).isTrue();
    }

    @Test
    void randomRegisterTrafficNeverThrows() {
        Random rnd = new Random(42);
        int resets = 0;
        for (int i = 0; i < 200_000; i++) {
            long off = rnd.nextInt(10) == 0 ? rnd.nextLong() : rnd.nextInt(0x140) & ~3;
            int size = 1 << rnd.nextInt(4);
            if (rnd.nextBoolean()) {
                d.mmio.write(off, size, rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(16));
            } else {
                d.mmio.read(off, size);
            }
            if (rnd.nextInt(1000) == 0) {
                // a properly started device, then junk over its rings and descriptors
                d.start(V1, 1 << rnd.nextInt(9));
                byte[] junk = new byte[256];
                for (int k = 0; k < 8; k++) {
                    rnd.nextBytes(junk);
                    d.put(VirtioDriver.desc(0) + rnd.nextInt(0xC000 - 256), junk);
                }
                d.notify(0);
                resets += needsReset() ? 1 : 0;
            }
        }
        assertThat(resets).as("junk rings caught").isPositive();
    }

    @Test
    void saveRestoreContinuesExactlyLikeAnUninterruptedDevice() {
        d.start(V1 | 1L << VirtioBlock.F_FLUSH, 16);
        Random rnd = new Random(3);
        byte[] data = new byte[8192];
        rnd.nextBytes(data);
        d.put(DATA + 0x10000, data);
        writeRequest(d, 0, 5, DATA + 0x10000, 4096);
        d.notify(0);
        writeRequest(d, 1, 9, DATA + 0x11000, 4096); // available, not yet notified

        VirtioMmioState saved = d.mmio.save();
        VirtualDisk disk2 = VirtualDisk.overlay(disk.snapshot(), disk.size());
        VirtioDriver e = new VirtioDriver(new VirtioBlock(disk2, false, "d"), InMemoryPagedImage.over(d.image.freeze()));
        e.mmio.restore(saved);
        e.adopt(d);
        assertThat(e.mmio.save()).isEqualTo(saved);
        assertThat(e.irq).isEqualTo(d.irq);

        for (VirtioDriver x : new VirtioDriver[] {d, e}) {
            x.notify(0);
            x.w(0x64, 1);
            readRequest(x, 2, 5, DATA + 0x30000, 8192);
            x.notify(0);
        }
        assertThat(e.mmio.save()).isEqualTo(d.mmio.save());
        assertThat(Arrays.equals(e.get(BASE, (int) VirtioDriver.RAM), d.get(BASE, (int) VirtioDriver.RAM))).isTrue();
        byte[] a = new byte[(int) disk.size()], b = new byte[(int) disk.size()];
        disk.read(0, a, 0, a.length);
        disk2.read(0, b, 0, b.length);
        assertThat(Arrays.equals(a, b)).isTrue();
        // sectors 5..8 from the first write, 9..16 from the second (which overlapped it)
        assertThat(Arrays.equals(e.get(DATA + 0x30000, 2048), Arrays.copyOf(data, 2048))).isTrue();
        assertThat(Arrays.equals(e.get(DATA + 0x30000 + 2048, 4096), Arrays.copyOfRange(data, 4096, 8192))).isTrue();
        assertThat(e.nextUsed(0)).isNotNull();
    }

    private static void writeRequest(VirtioDriver x, int slot, long sector, long src, int n) {
        request(x, slot, VirtioBlock.T_OUT, sector, new Buf(src, n, false));
    }

    private static void readRequest(VirtioDriver x, int slot, long sector, long dst, int n) {
        request(x, slot, VirtioBlock.T_IN, sector, new Buf(dst, n, true));
    }

    private static void request(VirtioDriver x, int slot, int type, long sector, Buf data) {
        long h = DATA + 32L * slot;
        byte[] hdr = new byte[16];
        Virtqueue.put(hdr, 0, 4, type);
        Virtqueue.put(hdr, 8, 8, sector);
        x.put(h, hdr);
        x.chain(0, new Buf(h, 16, false), data, new Buf(DATA + 0x1000 + slot, 1, true));
    }
}
