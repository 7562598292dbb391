package dev.vmtree.core.devices.virtio;

import static dev.vmtree.core.devices.virtio.VirtioDriver.DATA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.devices.virtio.VirtioDriver.Buf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VirtioConsoleTest {
    static final long V1 = 1L << 32;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final VirtioConsole console = new VirtioConsole(out::write, 8);
    private final VirtioDriver d = new VirtioDriver(console);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void transmitsEveryReadableByteOfAChain() {
        assertThat(d.r(0x08)).isEqualTo(3);
        d.start(V1, 8);
        d.put(DATA, ascii("hello, "));
        d.put(DATA + 0x100, ascii("world\n"));
        int h = d.chain(1, new Buf(DATA, 7, false), new Buf(DATA + 0x100, 6, false));
        d.notify(1);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hello, world\n");
        assertThat(d.nextUsed(1)).containsExactly(h, 0);
        assertThat(d.irq).isTrue();
    }

    @Test
    void inputWaitsForBuffersIsBoundedAndSplitsAcrossBuffers() {
        assertThat(console.deliverInput(ascii("0123456789"))).isEqualTo(8); // 8-byte buffer
        d.start(V1, 8);
        assertThat(d.usedIdx(0)).isZero(); // no receive buffers yet
        int a = d.chain(0, new Buf(DATA, 3, true));
        int b = d.chain(0, new Buf(DATA + 0x100, 64, true));
        d.notify(0);
        assertThat(d.nextUsed(0)).containsExactly(a, 3);
        assertThat(d.nextUsed(0)).containsExactly(b, 5);
        assertThat(new String(d.get(DATA, 3), StandardCharsets.US_ASCII)).isEqualTo("012");
        assertThat(new String(d.get(DATA + 0x100, 5), StandardCharsets.US_ASCII)).isEqualTo("34567");
        assertThat(console.pendingInput()).isZero();
        // a buffer waits in the ring until input comes
        int c = d.chain(0, new Buf(DATA + 0x200, 64, true));
        d.notify(0);
        assertThat(d.nextUsed(0)).isNull();
        assertThat(console.deliverInput(ascii("89"))).isEqualTo(2);
        assertThat(d.nextUsed(0)).containsExactly(c, 2);
        assertThat(new String(d.get(DATA + 0x200, 2), StandardCharsets.US_ASCII)).isEqualTo("89");
    }

    @Test
    void inputAimedOutsideRamStaysForTheNextBuffer() {
        d.start(V1, 8);
        d.chain(0, new Buf(0x1000, 16, true));
        d.notify(0);
        console.deliverInput(ascii("ok"));
        assertThat(d.nextUsed(0)[1]).isZero();
        assertThat(console.pendingInput()).isEqualTo(2);
        d.chain(0, new Buf(DATA, 16, true));
        d.notify(0);
        assertThat(new String(d.get(DATA, 2), StandardCharsets.US_ASCII)).isEqualTo("ok");
    }

    @Test
    void aGiantTransmitChainPrintsAtMost64KiB() {
        d.start(V1, 8);
        d.chain(1, new Buf(VirtioDriver.BASE, VirtioDriver.RAM, false), new Buf(VirtioDriver.BASE, VirtioDriver.RAM, false));
        d.notify(1);
        assertThat(out.size()).isEqualTo(64 * 1024);
    }

    @Test
    void saveRestoreKeepsPendingInput() {
        console.deliverInput(ascii("abc"));
        VirtioMmioState s = d.mmio.save();
        assertThat(s.device()).isEqualTo(new VirtioDeviceState.Console(ascii("abc")));
        VirtioConsole other = new VirtioConsole(out::write, 8);
        VirtioDriver e = new VirtioDriver(other);
        e.mmio.restore(s);
        assertThat(e.mmio.save()).isEqualTo(s);
        e.start(V1, 8);
        e.chain(0, new Buf(DATA, 16, true));
        e.notify(0);
        assertThat(new String(e.get(DATA, 3), StandardCharsets.US_ASCII)).isEqualTo("abc");
        VirtioConsole tiny = new VirtioConsole(out::write, 2);
        assertThatThrownBy(() -> tiny.restore(s.device())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tiny.restore(new VirtioDeviceState.Rng())).isInstanceOf(IllegalArgumentException.class);
    }
}
