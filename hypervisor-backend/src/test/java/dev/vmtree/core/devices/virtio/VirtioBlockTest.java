package dev.vmtree.core.devices.virtio;

import static dev.vmtree.core.devices.virtio.VirtioDriver.DATA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.devices.virtio.VirtioDriver.Buf;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.disk.VirtualDisk;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VirtioBlockTest {
    static final long V1 = 1L << 32;
    private final VirtualDisk disk = VirtualDisk.blank(1 << 20);
    private final VirtioDriver d = new VirtioDriver(new VirtioBlock(disk, false, "vmtree-disk-0"));

    private long header(int slot, int type, long sector) {
        long at = DATA + 32L * slot;
        byte[] h = new byte[16];
        Virtqueue.put(h, 0, 4, type);
        Virtqueue.put(h, 8, 8, sector);
        d.put(at, h);
        return at;
    }

    private static long status(int slot) {
        return DATA + 0x1000 + slot;
    }

    private int statusOf(int slot) {
        return d.get(status(slot), 1)[0];
    }

    @Test
    void configAndFeaturesDescribeTheDisk() {
        assertThat(d.r(0x08)).isEqualTo(2);
        assertThat(d.mmio.read(0x100, 4) | d.mmio.read(0x104, 4) << 32).isEqualTo((1 << 20) / 512);
        assertThat(d.mmio.read(0x100, 8)).isEqualTo((1 << 20) / 512);
        assertThat(d.mmio.read(0x10C, 4)).isEqualTo(254);
        d.w(0x14, 1);
        assertThat(d.r(0x10)).isEqualTo(1); // VERSION_1 in the upper page
        d.w(0x14, 0);
        assertThat(d.r(0x10) & (1 << VirtioBlock.F_RO)).isZero();
        assertThat(d.r(0x10) & (1 << VirtioBlock.F_FLUSH)).isNotZero();
    }

    @Test
    void writeThenReadBackAFileLikePatternAcrossManySegments() {
        assertThat(d.start(V1 | 1L << VirtioBlock.F_FLUSH, 16) & VirtioMmio.DRIVER_OK).isNotZero();
        byte[] pattern = new byte[3 * 4096 + 512];
        new Random(7).nextBytes(pattern);
        long src = DATA + 0x10000;
        d.put(src, pattern);
        // three segments of uneven size, sector 17
        int w = d.chain(0, new Buf(header(0, VirtioBlock.T_OUT, 17), 16, false), new Buf(src, 4096, false),
                new Buf(src + 4096, 1000, false), new Buf(src + 5096, pattern.length - 5096, false),
                new Buf(status(0), 1, true));
        d.notify(0);
        assertThat(d.irq).isTrue();
        assertThat(d.r(0x60)).isEqualTo(VirtioMmio.INT_USED);
        d.w(0x64, VirtioMmio.INT_USED);
        assertThat(d.irq).isFalse();
        assertThat(d.nextUsed(0)).containsExactly(w, 1);
        assertThat(statusOf(0)).isEqualTo(VirtioBlock.S_OK);
        byte[] onDisk = new byte[pattern.length];
        disk.read(17 * 512, onDisk, 0, onDisk.length);
        assertThat(onDisk).isEqualTo(pattern);

        long dst = DATA + 0x20000;
        int rd = d.chain(0, new Buf(header(1, VirtioBlock.T_IN, 17), 16, false), new Buf(dst, 512, true),
                new Buf(dst + 512, pattern.length - 512, true), new Buf(status(1), 1, true));
        int fl = d.chain(0, new Buf(header(2, VirtioBlock.T_FLUSH, 0), 16, false), new Buf(status(2), 1, true));
        d.notify(0);
        assertThat(d.nextUsed(0)).containsExactly(rd, pattern.length + 1);
        assertThat(d.nextUsed(0)).containsExactly(fl, 1);
        assertThat(statusOf(1)).isEqualTo(VirtioBlock.S_OK);
        assertThat(statusOf(2)).isEqualTo(VirtioBlock.S_OK);
        assertThat(d.get(dst, pattern.length)).isEqualTo(pattern);
    }

    @Test
    void getIdReturnsTheSerialAndUnknownTypesAreUnsupported() {
        d.start(V1, 8);
        long id = DATA + 0x3000;
        d.chain(0, new Buf(header(0, VirtioBlock.T_GET_ID, 0), 16, false), new Buf(id, 20, true),
                new Buf(status(0), 1, true));
        d.chain(0, new Buf(header(1, 99, 0), 16, false), new Buf(status(1), 1, true));
        d.notify(0);
        assertThat(d.nextUsed(0)[1]).isEqualTo(21);
        assertThat(new String(d.get(id, 13), StandardCharsets.US_ASCII)).isEqualTo("vmtree-disk-0");
        assertThat(d.get(id + 13, 7)).containsOnly(0);
        assertThat(statusOf(0)).isEqualTo(VirtioBlock.S_OK);
        assertThat(statusOf(1)).isEqualTo(VirtioBlock.S_UNSUPP);
    }

    @Test
    void badRequestsFailWithIoErrorAndTheDeviceCarriesOn() {
        d.start(V1, 32);
        long buf = DATA + 0x10000;
        // past the end of the disk; sector so large that sector * 512 overflows; a short header;
        // data outside RAM; a 4 GiB - 1 descriptor
        d.chain(0, new Buf(header(0, VirtioBlock.T_IN, 2047), 16, false), new Buf(buf, 1024, true), new Buf(status(0), 1, true));
        d.chain(0, new Buf(header(1, VirtioBlock.T_IN, Long.MAX_VALUE / 256), 16, false), new Buf(buf, 512, true), new Buf(status(1), 1, true));
        d.chain(0, new Buf(header(2, VirtioBlock.T_IN, 0), 8, false), new Buf(status(2), 1, true));
        d.chain(0, new Buf(header(3, VirtioBlock.T_IN, 0), 16, false), new Buf(0x1000, 512, true), new Buf(status(3), 1, true));
        d.chain(0, new Buf(header(4, VirtioBlock.T_OUT, 0), 16, false), new Buf(buf, 0xFFFF_FFFFL, false), new Buf(status(4), 1, true));
        d.chain(0, new Buf(header(5, VirtioBlock.T_OUT, 0), 16, false), new Buf(VirtioDriver.BASE + VirtioDriver.RAM - 8, 512, false), new Buf(status(5), 1, true));
        d.notify(0);
        while (d.mmio.holdsWork()) {
            d.mmio.checkPoint();    // the 4 GiB request costs more than a notification serves
        }
        for (int i = 0; i < 6; i++) {
            assertThat(statusOf(i)).as("request %d", i).isEqualTo(VirtioBlock.S_IOERR);
        }
        assertThat(d.r(0x70) & VirtioMmio.DEVICE_NEEDS_RESET).isZero();
        d.chain(0, new Buf(header(6, VirtioBlock.T_FLUSH, 0), 16, false), new Buf(status(6), 1, true));
        d.notify(0);
        assertThat(d.usedIdx(0)).isEqualTo(7);
    }

    @Test
    void violatedReadAndWriteFlagsNeverMoveDataTheWrongWay() {
        d.start(V1, 16);
        disk.write(0, new byte[] {9, 9, 9, 9}, 0, 4);
        // header handed to the device as writable: no readable header, so IOERR and nothing is read
        long h = header(0, VirtioBlock.T_IN, 0);
        long dst = DATA + 0x10000;
        d.chain(0, new Buf(h, 16, true), new Buf(dst, 512, true), new Buf(status(0), 1, true));
        // a read whose data buffer is device-readable: the disk data has nowhere to go, IOERR
        d.chain(0, new Buf(header(1, VirtioBlock.T_IN, 0), 16, false), new Buf(dst, 512, false), new Buf(status(1), 1, true));
        // a write whose data buffer is device-writable: nothing to write, so the disk keeps its bytes
        d.chain(0, new Buf(header(2, VirtioBlock.T_OUT, 0), 16, false), new Buf(dst, 512, true), new Buf(status(2), 1, true));
        d.notify(0);
        assertThat(statusOf(0)).isEqualTo(VirtioBlock.S_IOERR);
        assertThat(statusOf(1)).isEqualTo(VirtioBlock.S_OK); // a zero-length read is a valid request
        assertThat(statusOf(2)).isEqualTo(VirtioBlock.S_OK); // so is a zero-length write
        assertThat(d.get(dst, 4)).containsOnly(0);
        byte[] first = new byte[4];
        disk.read(0, first, 0, 4);
        assertThat(first).containsOnly(9);
    }

    @Test
    void aRequestWithoutAStatusByteNeedsAReset() {
        d.start(V1, 8);
        d.chain(0, new Buf(header(0, VirtioBlock.T_FLUSH, 0), 16, false));
        d.notify(0);
        assertThat(d.r(0x70) & VirtioMmio.DEVICE_NEEDS_RESET).isNotZero();
        assertThat(d.r(0x60) & VirtioMmio.INT_CONFIG).isNotZero();
        assertThat(d.usedIdx(0)).isZero();
        assertThat(d.start(V1, 8) & VirtioMmio.DEVICE_NEEDS_RESET).isZero(); // a reset clears it
    }

    @Test
    void readOnlyDisksOfferRoAndRefuseWrites() {
        VirtioDriver ro = new VirtioDriver(new VirtioBlock(disk, true, "snap"));
        assertThat(ro.r(0x10) & (1 << VirtioBlock.F_RO)).isNotZero();
        ro.start(V1 | 1L << VirtioBlock.F_RO, 8);
        long src = DATA + 0x10000;
        ro.put(src, new byte[] {1, 2, 3});
        long h = DATA;
        byte[] hdr = new byte[16];
        Virtqueue.put(hdr, 0, 4, VirtioBlock.T_OUT);
        ro.put(h, hdr);
        ro.chain(0, new Buf(h, 16, false), new Buf(src, 512, false), new Buf(DATA + 0x1000, 1, true));
        ro.notify(0);
        assertThat(ro.get(DATA + 0x1000, 1)[0]).isEqualTo((byte) VirtioBlock.S_IOERR);
        byte[] first = new byte[3];
        disk.read(0, first, 0, 3);
        assertThat(first).containsOnly(0);
    }

    /** A read of {@code segments} writable segments of {@code segLen} bytes, all at {@code buf}, then the status. */
    private static Buf[] read(long header, long buf, int segments, long segLen, long status) {
        Buf[] b = new Buf[segments + 2];
        b[0] = new Buf(header, 16, false);
        for (int i = 0; i < segments; i++) {
            b[1 + i] = new Buf(buf, segLen, true);
        }
        b[segments + 1] = new Buf(status, 1, true);
        return b;
    }

    @Test
    void requestsOverTheAdvertisedSegmentLimitsFailBeforeAByteMoves() {
        byte[] sevens = new byte[2 * VirtioBlock.SIZE_MAX];
        Arrays.fill(sevens, (byte) 7);
        disk.write(0, sevens, 0, sevens.length);
        d.start(V1, 256);
        long buf = DATA + 0x10000;
        d.put(buf, new byte[2 * VirtioBlock.SIZE_MAX]);
        // one segment over size_max
        d.chain(0, new Buf(header(0, VirtioBlock.T_IN, 0), 16, false), new Buf(buf, VirtioBlock.SIZE_MAX + 512, true),
                new Buf(status(0), 1, true));
        d.notify(0);
        assertThat(statusOf(0)).isEqualTo(VirtioBlock.S_IOERR);
        assertThat(d.nextUsed(0)[1]).isEqualTo(1);
        // seg_max + 1 segments in 256 descriptors: the last one holds a segment and the status byte
        Buf[] many = read(header(1, VirtioBlock.T_IN, 0), buf, VirtioBlock.SEG_MAX, 512, 0);
        many[many.length - 1] = new Buf(DATA + 0x2000, 513, true);
        d.chain(0, many);
        d.notify(0);
        d.mmio.checkPoint();        // 256 descriptors cost more than a notification serves
        assertThat(d.get(DATA + 0x2000 + 512, 1)[0]).isEqualTo((byte) VirtioBlock.S_IOERR);
        assertThat(d.nextUsed(0)[1]).isEqualTo(1);
        assertThat(d.get(buf, 2 * VirtioBlock.SIZE_MAX)).containsOnly(0);
        // exactly at the limits: seg_max segments, one of them size_max long, served at a check point
        Buf[] limit = read(header(2, VirtioBlock.T_IN, 0), buf + VirtioBlock.SIZE_MAX, VirtioBlock.SEG_MAX, 512, status(2));
        limit[1] = new Buf(buf, VirtioBlock.SIZE_MAX, true);
        d.chain(0, limit);
        d.notify(0);
        d.mmio.checkPoint();
        assertThat(statusOf(2)).isEqualTo(VirtioBlock.S_OK);
        assertThat(d.nextUsed(0)[1]).isEqualTo(VirtioBlock.SIZE_MAX + 253 * 512 + 1);
        assertThat(d.get(buf, VirtioBlock.SIZE_MAX)).containsOnly(7);
        assertThat(d.r(0x70) & VirtioMmio.DEVICE_NEEDS_RESET).isZero();
    }

    @Test
    void aNotificationServesItsBudgetAndCheckPointsServeTheRestInOrder() {
        d.start(V1, 16);
        long buf = DATA + 0x10000;
        int[] heads = new int[3];
        for (int i = 0; i < 3; i++) {
            heads[i] = d.chain(0, read(header(i, VirtioBlock.T_IN, 0), buf + 0x10000L * i, 2, 24 * 1024, status(i)));
        }
        d.notify(0);
        // 48 KiB fits the notification's budget of 128 KiB, 96 KiB does too, 144 KiB does not: the
        // third waits in the ring (each costs its 48 KiB + 17 bytes + 4 descriptors)
        assertThat(d.usedIdx(0)).isEqualTo(2);
        assertThat(d.mmio.holdsWork()).isTrue();
        d.mmio.checkPoint();
        assertThat(d.usedIdx(0)).isEqualTo(3);
        assertThat(d.mmio.holdsWork()).isFalse();
        for (int h : heads) {
            assertThat(d.nextUsed(0)).containsExactly(h, 48 * 1024 + 1);
        }
    }

    @Test
    void aRepeatedSixteenMebibyteRequestIsServedOncePerCheckPoint() {
        VirtioDriver big = new VirtioDriver(new VirtioBlock(VirtualDisk.blank(32 << 20), false, "big"));
        big.start(V1, 256);
        long hdr = DATA, st = DATA + 0x100, buf = DATA + 0x10000;
        big.put(hdr, new byte[16]);     // T_IN, sector 0
        // seg_max segments of size_max, all over the same 64 KiB of RAM: legal, 16 MiB of data
        int head = big.chain(0, read(hdr, buf, VirtioBlock.SEG_MAX, VirtioBlock.SIZE_MAX, st));
        for (int i = 1; i < 256; i++) {
            big.offer(0, head);         // the available ring repeats one head
        }
        big.dmaLimit = 64L << 20;
        big.notify(0);
        assertThat(big.usedIdx(0)).isZero();
        assertThat(big.dmaBytes).as("a notification only walks the first chain").isLessThan(8192);
        long data = (long) VirtioBlock.SEG_MAX * VirtioBlock.SIZE_MAX;
        for (int k = 1; k <= 3; k++) {
            long before = big.dmaBytes;
            big.mmio.checkPoint();
            assertThat(big.usedIdx(0)).isEqualTo(k);
            assertThat(big.dmaBytes - before).isBetween(data, data + 8192);
        }
        assertThat(big.get(st, 1)[0]).isEqualTo((byte) VirtioBlock.S_OK);
        assertThat(big.mmio.holdsWork()).isTrue();
    }

    @Test
    void theThirtyGibibyteChainOfTheIssueMovesNothing() {
        // 254 descriptors of 120 MiB over the same RAM, its head 256 times in the ring: about 30 GiB a
        // chain, which the device once copied within one QueueNotify
        VirtioDriver hostile = new VirtioDriver(new VirtioBlock(VirtualDisk.blank(32L << 30), false, "x"),
                new InMemoryPagedImage(128 << 20, 4096));
        hostile.start(V1, 256);
        long hdr = DATA, st = DATA + 0x100, buf = VirtioDriver.BASE + (4 << 20);
        hostile.put(hdr, new byte[16]);
        int head = hostile.chain(0, read(hdr, buf, VirtioBlock.SEG_MAX, 120 << 20, st));
        for (int i = 1; i < 256; i++) {
            hostile.offer(0, head);
        }
        hostile.dmaLimit = 64L << 20;
        hostile.notify(0);
        for (int k = 0; k < 256; k++) {
            hostile.mmio.checkPoint();
        }
        assertThat(hostile.usedIdx(0)).isEqualTo(256);
        assertThat(hostile.get(st, 1)[0]).isEqualTo((byte) VirtioBlock.S_IOERR);
        assertThat(hostile.dmaBytes).as("descriptors and rings only").isLessThan(2L << 20);
    }

    @Test
    void restoreRejectsAStateForAnotherDisk() {
        VirtioBlock other = new VirtioBlock(VirtualDisk.blank(4096), false, "x");
        assertThatThrownBy(() -> other.restore(d.mmio.device().save())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4096 bytes");
    }
}
