package dev.vmtree.core.devices.virtio;

import static dev.vmtree.core.devices.virtio.VirtioDriver.DATA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.devices.virtio.VirtioDriver.Buf;
import dev.vmtree.cow.disk.VirtualDisk;
import java.nio.charset.StandardCharsets;
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

    @Test
    void restoreRejectsAStateForAnotherDisk() {
        VirtioBlock other = new VirtioBlock(VirtualDisk.blank(4096), false, "x");
        assertThatThrownBy(() -> other.restore(d.mmio.device().save())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4096 bytes");
    }
}
