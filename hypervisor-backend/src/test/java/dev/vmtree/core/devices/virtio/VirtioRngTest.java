package dev.vmtree.core.devices.virtio;

import static dev.vmtree.core.devices.virtio.VirtioDriver.DATA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.devices.virtio.VirtioDriver.Buf;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;

class VirtioRngTest {
    static final long V1 = 1L << 32;

    /** A source fed explicitly, as the Machine feeds it from its stamped input log. */
    static final class Fed implements EntropySource {
        final ArrayDeque<Byte> bytes = new ArrayDeque<>();

        void feed(int from, int n) {
            for (int i = 0; i < n; i++) {
                bytes.add((byte) (from + i));
            }
        }

        @Override
        public int fill(byte[] dst, int off, int len) {
            int n = 0;
            while (n < len && !bytes.isEmpty()) {
                dst[off + n++] = bytes.poll();
            }
            return n;
        }
    }

    private final Fed source = new Fed();
    private final VirtioRng rng = new VirtioRng(source);
    private final VirtioDriver d = new VirtioDriver(rng);

    @Test
    void buffersWaitForEntropyAndAreFilledInOrder() {
        assertThat(d.r(0x08)).isEqualTo(4);
        d.start(V1, 8);
        int a = d.chain(0, new Buf(DATA, 16, true));
        int b = d.chain(0, new Buf(DATA + 0x100, 16, true));
        d.notify(0);
        assertThat(d.nextUsed(0)).isNull(); // nothing to give yet
        source.feed(1, 20);
        rng.entropyArrived();
        assertThat(d.nextUsed(0)).containsExactly(a, 16);
        assertThat(d.nextUsed(0)).containsExactly(b, 4); // a short answer is allowed
        assertThat(d.get(DATA, 16)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        assertThat(d.get(DATA + 0x100, 4)).containsExactly(17, 18, 19, 20);
    }

    @Test
    void aHugeRequestGetsAtMost4KiB() {
        d.start(V1, 8);
        source.feed(0, 10_000);
        d.chain(0, new Buf(DATA, 0xFFFF_FFFFL, true));
        d.notify(0);
        assertThat(d.nextUsed(0)[1]).isEqualTo(VirtioRng.MAX_PER_BUFFER);
        assertThat(source.bytes).hasSize(10_000 - VirtioRng.MAX_PER_BUFFER);
    }

    @Test
    void aDeviceReadableBufferGetsNothingAndCostsNoEntropy() {
        d.start(V1, 8);
        source.feed(0, 8);
        int h = d.chain(0, new Buf(DATA, 16, false));
        d.notify(0);
        assertThat(d.nextUsed(0)).containsExactly(h, 0);
        assertThat(source.bytes).hasSize(8);
        assertThat(d.get(DATA, 16)).containsOnly(0);
    }

    @Test
    void theSameInputsGiveTheSameGuestMemory() {
        VirtioDriver[] runs = new VirtioDriver[2];
        for (int r = 0; r < 2; r++) {
            Fed s = new Fed();
            VirtioRng dev = new VirtioRng(s);
            VirtioDriver x = new VirtioDriver(dev);
            x.start(V1, 8);
            x.chain(0, new Buf(DATA, 100, true));
            x.notify(0);
            s.feed(7, 50);
            dev.entropyArrived();
            x.chain(0, new Buf(DATA + 0x100, 100, true));
            x.notify(0);
            s.feed(90, 150);
            dev.entropyArrived();
            runs[r] = x;
        }
        assertThat(runs[1].get(DATA, 0x200)).isEqualTo(runs[0].get(DATA, 0x200));
        assertThat(runs[1].mmio.save()).isEqualTo(runs[0].mmio.save());
        assertThat(runs[0].usedIdx(0)).isEqualTo(2);
    }
}
