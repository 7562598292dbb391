package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.InMemoryPagedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RamDmaTest {
    private static final long BASE = 0x8000_0000L;
    private final InMemoryPagedImage ram = new InMemoryPagedImage(64 * 1024, 4096);
    private final List<String> writes = new ArrayList<>();
    private final RamDma dma = new RamDma(ram, BASE, (pa, len) -> writes.add(Long.toHexString(pa) + "+" + len));

    @Test
    void copiesInsideRamAcrossPagesAndReportsWrites() {
        byte[] b = {1, 2, 3, 4, 5, 6};
        assertThat(dma.write(BASE + 4093, b, 0, 6)).isTrue();
        byte[] back = new byte[6];
        assertThat(dma.read(BASE + 4093, back, 0, 6)).isTrue();
        assertThat(back).isEqualTo(b);
        assertThat(ram.load(4093, 1)).isEqualTo(1);
        assertThat(writes).containsExactly("80000ffd+6");
        assertThat(dma.write(BASE + 65536 - 2, b, 0, 2)).isTrue(); // the last two bytes
    }

    @Test
    void refusesAnyRangeThatLeavesRamWithoutThrowingOrCopying() {
        byte[] b = new byte[16];
        long[][] bad = {{BASE - 1, 2}, {BASE + 65536 - 1, 2}, {BASE + 65536, 1}, {0, 1}, {-1, 1},
            {Long.MAX_VALUE, 1}, {BASE + 65535, Integer.MAX_VALUE}, {BASE, -1}};
        for (long[] r : bad) {
            assertThat(dma.contains(r[0], r[1])).as("%x+%d", r[0], r[1]).isFalse();
            if (r[1] >= 0 && r[1] <= b.length) {
                assertThat(dma.read(r[0], b, 0, (int) r[1])).isFalse();
                assertThat(dma.write(r[0], b, 0, (int) r[1])).isFalse();
            }
        }
        assertThat(dma.read(BASE + 65535, b, 0, Integer.MAX_VALUE)).isFalse();
        assertThat(writes).isEmpty();
        assertThat(ram.dirtyPageCount()).isZero();
    }
}
