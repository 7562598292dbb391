package dev.vmtree.core.devices.virtio;

import static dev.vmtree.core.devices.virtio.VirtioDriver.DATA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.devices.DeviceStateCodec;
import dev.vmtree.core.devices.virtio.VirtioDriver.Buf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** virtio-net driven the way Linux's virtio_net drives a card without offloads. */
class VirtioNetTest {
    static final long V1 = 1L << 32;
    static final long FEATURES = V1 | 1L << VirtioNet.F_MAC | 1L << VirtioNet.F_STATUS;
    static final byte[] MAC = {0x02, 0x76, 0x6d, 0x74, 0x00, 0x01};
    private final List<byte[]> sent = new ArrayList<>();
    private final VirtioNet net = new VirtioNet(MAC, (f, off, len) -> sent.add(Arrays.copyOfRange(f, off, off + len)));
    private final VirtioDriver d = new VirtioDriver(net);

    static byte[] frame(int length, int fill) {
        byte[] f = new byte[length];
        Arrays.fill(f, (byte) fill);
        f[12] = 0x08; // EtherType IPv4
        f[13] = 0x00;
        return f;
    }

    /** A transmit chain as virtio_net builds it: the header in its own buffer, then the frame. */
    private int transmit(byte[] frame) {
        d.put(DATA, new byte[VirtioNet.HEADER]);
        d.put(DATA + 0x100, frame);
        return d.chain(VirtioNet.TRANSMITQ, new Buf(DATA, VirtioNet.HEADER, false), new Buf(DATA + 0x100, frame.length, false));
    }

    @Test
    void offersItsAddressAndLinkStatusInConfiguration() {
        assertThat(d.r(0x08)).isEqualTo(VirtioNet.ID);
        assertThat(d.start(FEATURES, 16) & VirtioMmio.DRIVER_OK).isNotZero();
        for (int i = 0; i < 6; i++) {
            assertThat(d.mmio.read(0x100 + i, 1)).isEqualTo(MAC[i] & 0xFF);
        }
        assertThat(d.mmio.read(0x106, 2)).isEqualTo(1); // VIRTIO_NET_S_LINK_UP
        assertThat(d.mmio.read(0x100, 4)).isEqualTo(0x746d7602L);
    }

    @Test
    void transmitsTheFrameBehindTheHeader() {
        d.start(FEATURES, 16);
        byte[] f = frame(60, 0xAB);
        int h = transmit(f);
        d.notify(VirtioNet.TRANSMITQ);
        assertThat(sent).hasSize(1);
        assertThat(sent.getFirst()).isEqualTo(f);
        assertThat(d.nextUsed(VirtioNet.TRANSMITQ)).containsExactly(h, 0);
        assertThat(net.counters().sent()).isEqualTo(1);
    }

    @Test
    void receivedFramesWaitForBuffersAndArriveWithAHeaderOfOneBuffer() {
        d.start(FEATURES, 16);
        byte[] a = frame(100, 1), b = frame(VirtioNet.MAX_FRAME, 2);
        assertThat(net.deliverFrame(a)).isTrue();
        assertThat(net.deliverFrame(b)).isTrue();
        assertThat(net.pendingFrames()).isEqualTo(2);
        int ha = d.chain(VirtioNet.RECEIVEQ, new Buf(DATA, VirtioNet.HEADER + VirtioNet.MAX_FRAME, true));
        d.notify(VirtioNet.RECEIVEQ);
        assertThat(d.nextUsed(VirtioNet.RECEIVEQ)).containsExactly(ha, VirtioNet.HEADER + 100);
        byte[] hdr = d.get(DATA, VirtioNet.HEADER);
        assertThat(hdr[10]).isEqualTo((byte) 1); // num_buffers
        assertThat(d.get(DATA + VirtioNet.HEADER, 100)).isEqualTo(a);
        // the second frame spans two descriptors of a chain
        int hb = d.chain(VirtioNet.RECEIVEQ, new Buf(DATA + 0x1000, 1000, true), new Buf(DATA + 0x2000, 1000, true));
        d.notify(VirtioNet.RECEIVEQ);
        assertThat(d.nextUsed(VirtioNet.RECEIVEQ)).containsExactly(hb, VirtioNet.HEADER + VirtioNet.MAX_FRAME);
        byte[] got = new byte[VirtioNet.MAX_FRAME];
        System.arraycopy(d.get(DATA + 0x1000 + VirtioNet.HEADER, 1000 - VirtioNet.HEADER), 0, got, 0, 1000 - VirtioNet.HEADER);
        System.arraycopy(d.get(DATA + 0x2000, VirtioNet.MAX_FRAME - (1000 - VirtioNet.HEADER)), 0, got,
                1000 - VirtioNet.HEADER, VirtioNet.MAX_FRAME - (1000 - VirtioNet.HEADER));
        assertThat(got).isEqualTo(b);
        assertThat(net.pendingFrames()).isZero();
        assertThat(net.counters().received()).isEqualTo(2);
    }

    @Test
    void aFrameArrivingWhileABufferWaitsIsPlacedAtOnce() {
        d.start(FEATURES, 16);
        int h = d.chain(VirtioNet.RECEIVEQ, new Buf(DATA, 2048, true));
        d.notify(VirtioNet.RECEIVEQ);
        assertThat(d.nextUsed(VirtioNet.RECEIVEQ)).isNull();
        d.irq = false;
        net.deliverFrame(frame(64, 7));
        assertThat(d.nextUsed(VirtioNet.RECEIVEQ)).containsExactly(h, VirtioNet.HEADER + 64);
        assertThat(d.irq).isTrue();
    }

    @Test
    void hostileTransmitChainsAreDroppedAndCountedWithoutReadingPastTheLimit() {
        d.start(FEATURES, 16);
        d.chain(VirtioNet.TRANSMITQ, new Buf(DATA, 8, false));                                  // no whole header
        transmit(frame(VirtioNet.MIN_FRAME, 0));                                                  // the smallest frame goes out
        d.put(DATA, new byte[12]);
        d.chain(VirtioNet.TRANSMITQ, new Buf(DATA, VirtioNet.HEADER + 5, false));               // a runt
        d.dmaBytes = 0;
        d.chain(VirtioNet.TRANSMITQ, new Buf(VirtioDriver.BASE, VirtioDriver.RAM, false),
                new Buf(VirtioDriver.BASE, VirtioDriver.RAM, false));                             // 2 MiB "frame"
        d.chain(VirtioNet.TRANSMITQ, new Buf(0x1000, 100, false));                              // outside RAM
        d.notify(VirtioNet.TRANSMITQ);
        assertThat(sent).hasSize(1);
        assertThat(net.counters().droppedSent()).isEqualTo(4);
        for (int i = 0; i < 5; i++) {
            assertThat(d.nextUsed(VirtioNet.TRANSMITQ)).isNotNull();
        }
        assertThat(d.dmaBytes).isLessThan(64 * 1024); // the giant chain was not read
        assertThat(d.r(0x70) & VirtioMmio.DEVICE_NEEDS_RESET).isZero();
    }

    @Test
    void framesThatAreNotFramesOrFindNoRoomAreDroppedAndCounted() {
        d.start(FEATURES, 16);
        assertThat(net.deliverFrame(new byte[VirtioNet.MIN_FRAME - 1])).isFalse();
        assertThat(net.deliverFrame(new byte[VirtioNet.MAX_FRAME + 1])).isFalse();
        for (int i = 0; i < VirtioNet.PENDING_MAX; i++) {
            assertThat(net.deliverFrame(frame(60, i))).isTrue();
        }
        assertThat(net.deliverFrame(frame(60, 0))).isFalse(); // the queue is full
        assertThat(net.counters().droppedReceived()).isEqualTo(3);
        // a buffer too small for the frame: the frame is dropped, the buffer comes back empty
        int h = d.chain(VirtioNet.RECEIVEQ, new Buf(DATA, 40, true));
        d.notify(VirtioNet.RECEIVEQ);
        assertThat(d.nextUsed(VirtioNet.RECEIVEQ)).containsExactly(h, 0);
        assertThat(net.counters().droppedReceived()).isEqualTo(4);
    }

    @Test
    void pullingTheCableTellsTheDriverAndDropsWhatWaits() {
        d.start(FEATURES, 16);
        net.deliverFrame(frame(60, 1));
        int gen = d.r(0xFC);
        d.irq = false;
        net.setLink(false);
        assertThat(d.r(0x60) & 2).isEqualTo(2); // configuration change interrupt
        assertThat(d.irq).isTrue();
        assertThat(d.r(0xFC)).isNotEqualTo(gen);
        assertThat(d.mmio.read(0x106, 2)).isZero();
        assertThat(net.pendingFrames()).isZero();
        assertThat(net.deliverFrame(frame(60, 2))).isFalse();
        transmit(frame(60, 3));
        d.notify(VirtioNet.TRANSMITQ);
        assertThat(sent).isEmpty();
        net.setLink(true);
        assertThat(d.mmio.read(0x106, 2)).isEqualTo(1);
    }

    @Test
    void aDriverResetDropsWhatWaits() {
        d.start(FEATURES, 16);
        net.deliverFrame(frame(60, 1));
        d.w(0x70, 0);
        assertThat(net.pendingFrames()).isZero();
        assertThat(net.counters().droppedReceived()).isEqualTo(1);
    }

    @Test
    void stateKeepsAddressLinkAndWaitingFramesThroughTheCodec() {
        d.start(FEATURES, 16);
        net.deliverFrame(frame(60, 1));
        net.deliverFrame(frame(61, 2));
        VirtioMmioState s = d.mmio.save();
        VirtioMmioState back = DeviceStateCodec.decodeVirtio(DeviceStateCodec.encode(s));
        assertThat(back).isEqualTo(s);
        VirtioNet other = new VirtioNet(new byte[] {2, 0, 0, 0, 0, 9}, (f, o, l) -> {});
        VirtioDriver d2 = new VirtioDriver(other, d.image);
        d2.mmio.restore(back);
        d2.adopt(d);
        assertThat(other.mac()).isEqualTo(MAC); // the snapshot's address, not the one it was made with
        assertThat(other.pendingFrames()).isEqualTo(2);
        d2.chain(VirtioNet.RECEIVEQ, new Buf(DATA, 2048, true));
        d2.notify(VirtioNet.RECEIVEQ);
        assertThat(d2.get(DATA + VirtioNet.HEADER, 60)).isEqualTo(frame(60, 1));
    }

    @Test
    void aDecodedStateWithABadAddressOrTooManyFramesIsRefused() {
        assertThatThrownBy(() -> new VirtioNet(new byte[5], (f, o, l) -> {})).isInstanceOf(IllegalArgumentException.class);
        List<byte[]> many = new ArrayList<>();
        for (int i = 0; i <= VirtioNet.PENDING_MAX; i++) {
            many.add(frame(60, i));
        }
        assertThatThrownBy(() -> net.restore(new VirtioDeviceState.Net(MAC, true, many)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.restore(new VirtioDeviceState.Net(MAC, true, List.of(new byte[3]))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
