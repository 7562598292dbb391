package dev.vmtree.cow.disk;

import static dev.vmtree.cow.disk.VirtualDisk.BLOCK_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VirtualDiskTest {

    private static byte[] filled(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static List<Long> dirty(VirtualDisk disk) {
        List<Long> out = new ArrayList<>();
        disk.image().forEachDirtyPage(out::add);
        return out;
    }

    private static DiskSnapshot baseWithEveryBlockWritten(int blocks) {
        VirtualDisk base = VirtualDisk.blank((long) blocks * BLOCK_SIZE);
        for (int i = 0; i < blocks; i++) {
            base.write((long) i * BLOCK_SIZE, filled(BLOCK_SIZE, i + 1), 0, BLOCK_SIZE);
        }
        return base.snapshot();
    }

    @Test
    void overlaysShareOneBaseAndEachOwnsOnlyTheBlocksItWrote() {
        DiskSnapshot base = baseWithEveryBlockWritten(8);
        VirtualDisk a = base.overlay();
        VirtualDisk b = base.overlay();
        a.write(2L * BLOCK_SIZE + 5, filled(10, 0xAA), 0, 10);
        b.write(5L * BLOCK_SIZE, filled(BLOCK_SIZE + 1, 0xBB), 0, BLOCK_SIZE + 1);

        assertThat(dirty(a)).containsExactly(2L);
        assertThat(dirty(b)).containsExactly(5L, 6L);
        for (long i = 0; i < 8; i++) {
            // Blocks an overlay never wrote are the base's own arrays, not copies.
            if (i != 2) {
                assertThat(a.image().pageForRead(i)).as("a block %d", i).isSameAs(base.blocks().page(i));
            }
            if (i != 5 && i != 6) {
                assertThat(b.image().pageForRead(i)).as("b block %d", i).isSameAs(base.blocks().page(i));
            }
        }
        byte[] got = new byte[12];
        a.read(2L * BLOCK_SIZE + 4, got, 0, 12);
        assertThat(got).containsExactly(3, 0xAA - 256, 0xAA - 256, 0xAA - 256, 0xAA - 256, 0xAA - 256,
                0xAA - 256, 0xAA - 256, 0xAA - 256, 0xAA - 256, 0xAA - 256, 3);
        b.read(2L * BLOCK_SIZE + 4, got, 0, 12);
        assertThat(got).containsOnly(3);
        base.read(5L * BLOCK_SIZE, got, 0, 12);
        assertThat(got).containsOnly(6);
    }

    @Test
    void snapshotsAreReadOnlyAndDoNotSeeLaterWrites() {
        VirtualDisk disk = VirtualDisk.blank(3L * BLOCK_SIZE);
        disk.write(100, filled(4, 7), 0, 4);
        DiskSnapshot snap = disk.snapshot();
        disk.write(100, filled(4, 9), 0, 4);
        byte[] got = new byte[4];
        snap.read(100, got, 0, 4);
        assertThat(got).containsOnly(7);
        assertThat(snap.readOnly()).isTrue();
        assertThatThrownBy(() -> snap.write(0, got, 0, 4)).isInstanceOf(ReadOnlyDiskException.class);
        assertThatThrownBy(() -> snap.writeZeroes(0, 4)).isInstanceOf(ReadOnlyDiskException.class);
    }

    @Test
    void sizeNeedNotBeAMultipleOfTheBlockSizeButAccessStopsAtIt() {
        VirtualDisk disk = VirtualDisk.blank(BLOCK_SIZE + 512);
        assertThat(disk.image().size()).isEqualTo(2L * BLOCK_SIZE);
        disk.write(BLOCK_SIZE + 508, filled(4, 1), 0, 4);
        assertThatThrownBy(() -> disk.write(BLOCK_SIZE + 509, filled(4, 1), 0, 4))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("outside disk");
        assertThatThrownBy(() -> disk.read(-1, new byte[1], 0, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void writeZeroesLeavesZeroBlocksUnallocatedAndZeroesTheRest() {
        DiskSnapshot base = baseWithEveryBlockWritten(4);
        VirtualDisk disk = VirtualDisk.blank(4L * BLOCK_SIZE);
        disk.writeZeroes(0, 4L * BLOCK_SIZE);
        assertThat(disk.image().dirtyPageCount()).isZero();

        VirtualDisk over = base.overlay();
        over.writeZeroes(BLOCK_SIZE - 10, BLOCK_SIZE + 20);
        byte[] got = new byte[BLOCK_SIZE + 40];
        over.read(BLOCK_SIZE - 20, got, 0, got.length);
        assertThat(Arrays.copyOfRange(got, 0, 10)).containsOnly(1);
        assertThat(Arrays.copyOfRange(got, 10, BLOCK_SIZE + 30)).containsOnly(0);
        assertThat(Arrays.copyOfRange(got, BLOCK_SIZE + 30, BLOCK_SIZE + 40)).containsOnly(3);
        assertThat(over.snapshot().allocatedBlocks()).isEqualTo(3);
    }

    @Test
    void overlayLargerThanItsBaseReadsZeroPastTheBase() {
        DiskSnapshot base = baseWithEveryBlockWritten(2);
        VirtualDisk big = VirtualDisk.overlay(base, 5L * BLOCK_SIZE);
        byte[] got = new byte[8];
        big.read(BLOCK_SIZE, got, 0, 8);
        assertThat(got).containsOnly(2);
        big.read(4L * BLOCK_SIZE, got, 0, 8);
        assertThat(got).containsOnly(0);
        big.write(4L * BLOCK_SIZE, filled(8, 5), 0, 8);
        big.read(4L * BLOCK_SIZE, got, 0, 8);
        assertThat(got).containsOnly(5);
    }
}
