package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.devices.virtio.QueueState;
import dev.vmtree.core.devices.virtio.VirtioDeviceState;
import dev.vmtree.core.devices.virtio.VirtioMmioState;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class DeviceStateCodecTest {
    private final UartState uart = new UartState(3, 0x83, 0x1B, 0x5A, 0xC1, 0x0201, true, false, new byte[] {'h', 'i'});
    private final VirtioMmioState virtio = new VirtioMmioState(0x0F, 1, 0, 1L << 32 | 1 << 9, 0, 1, 2,
            List.of(new QueueState(16, true, 0x8001_0000L, 0x8001_4000L, 0x8001_8000L, 65535, 3)),
            new VirtioDeviceState.Console(new byte[] {1, 2, 3}));

    @Test
    void uartEncodingIsTheDocumentedBytes() {
        assertThat(HexFormat.of().formatHex(DeviceStateCodec.encode(uart)))
                .isEqualTo("5501" + "03" + "83" + "1b" + "5a" + "c1" + "0102" + "01" + "00" + "02000000" + "6869");
        assertThat(DeviceStateCodec.decodeUart(DeviceStateCodec.encode(uart))).isEqualTo(uart);
    }

    @Test
    void everyRecordRoundTrips() {
        Plic plic = new Plic(40, 1, (h, s, l) -> {});
        plic.write(4 * 33, 4, 5);
        plic.line(33).set(true);
        PlicState p = plic.save();
        assertThat(DeviceStateCodec.decodePlic(DeviceStateCodec.encode(p))).isEqualTo(p);
        assertThat(DeviceStateCodec.decodeVirtio(DeviceStateCodec.encode(virtio))).isEqualTo(virtio);
        for (VirtioDeviceState d : List.of(new VirtioDeviceState.Block(1 << 20, true), new VirtioDeviceState.Rng())) {
            VirtioMmioState s = new VirtioMmioState(0, 0, 0, 0, 0, 0, 0, List.of(QueueState.RESET), d);
            assertThat(DeviceStateCodec.decodeVirtio(DeviceStateCodec.encode(s))).isEqualTo(s);
        }
    }

    @Test
    void everyTruncationAndTrailingByteIsAOneLineError() {
        check(DeviceStateCodec.encode(uart), DeviceStateCodec::decodeUart);
        check(DeviceStateCodec.encode(virtio), DeviceStateCodec::decodeVirtio);
        check(DeviceStateCodec.encode(new Plic(8, 1, (h, s, l) -> {}).save()), DeviceStateCodec::decodePlic);
    }

    private static void check(byte[] good, Function<byte[], ?> decode) {
        for (int n = 0; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            assertThatThrownBy(() -> decode.apply(cut)).as("cut at %d", n).isInstanceOf(IllegalArgumentException.class)
                    .message().doesNotContain("\n");
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> decode.apply(longer)).hasMessageContaining("1 bytes after the end");
        byte[] wrongVersion = good.clone();
        wrongVersion[1] = 2;
        assertThatThrownBy(() -> decode.apply(wrongVersion)).hasMessageContaining("version 2 is not supported");
        byte[] wrongTag = good.clone();
        wrongTag[0] = 0;
        assertThatThrownBy(() -> decode.apply(wrongTag)).hasMessageContaining("tag 0x0");
    }

    @Test
    void hugeCountsAreRejectedBeforeAllocating() {
        byte[] b = DeviceStateCodec.encode(uart);
        b[b.length - 6] = (byte) 0xFF; // rx length → 0xFF..02
        b[b.length - 3] = (byte) 0x7F;
        assertThatThrownBy(() -> DeviceStateCodec.decodeUart(b)).hasMessageContaining("runs past the end");
    }
}
