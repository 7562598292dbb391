package dev.vmtree.cow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryPagedImageTest {

    private static final int PAGE = 4096;

    private static List<Long> dirty(PagedImage image) {
        List<Long> out = new ArrayList<>();
        image.forEachDirtyPage(out::add);
        return out;
    }

    @Test
    void freshImageReadsZeroAndIsClean() {
        var image = new InMemoryPagedImage(16 * PAGE, PAGE);
        assertThat(image.load(5 * PAGE + 8, 8)).isZero();
        assertThat(image.dirtyPageCount()).isZero();
        assertThat(dirty(image)).isEmpty();
    }

    @Test
    void loadsAndStoresAreLittleEndian() {
        var image = new InMemoryPagedImage(4 * PAGE, PAGE);
        image.store(100, 8, 0x0807_0605_0403_0201L);
        assertThat(image.load(100, 1)).isEqualTo(0x01);
        assertThat(image.load(100, 2)).isEqualTo(0x0201);
        assertThat(image.load(100, 4)).isEqualTo(0x0403_0201L);
        assertThat(image.load(104, 4)).isEqualTo(0x0807_0605L);
        image.store(200, 4, -1);
        assertThat(image.load(200, 4)).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void frozenViewNeverChangesAndFirstWriteAfterFreezeCopiesThePage() {
        var image = new InMemoryPagedImage(4 * PAGE, PAGE);
        image.store(PAGE + 10, 1, 0x11);
        byte[] before = image.pageForWrite(1);
        FrozenImage view = image.freeze();
        image.store(PAGE + 10, 1, 0x22);
        byte[] after = image.pageForWrite(1);
        assertThat(after).isNotSameAs(before);
        assertThat(view.page(1)[10]).isEqualTo((byte) 0x11);
        assertThat(image.load(PAGE + 10, 1)).isEqualTo(0x22);
        assertThat(view.page(0)).isNull();
    }

    @Test
    void dirtyPagesAreRelativeToTheLastPersistedViewNotTheLastFreeze() {
        var image = new InMemoryPagedImage(8 * PAGE, PAGE);
        image.store(0, 1, 1);
        image.store(3 * PAGE, 1, 1);
        FrozenImage persisted = image.freeze();
        image.markPersisted(persisted);
        assertThat(dirty(image)).isEmpty();

        image.store(5 * PAGE, 1, 7);
        image.freeze(); // a debugging checkpoint, never persisted
        image.store(6 * PAGE, 1, 7);
        assertThat(dirty(image)).containsExactly(5L, 6L);
        assertThat(image.dirtyPageCount()).isEqualTo(2);
    }

    @Test
    void pagesComeLazilyFromTheBaseAndStayClean() {
        var source = new InMemoryPagedImage(4 * PAGE, PAGE);
        source.store(2 * PAGE, 8, 42);
        FrozenImage view = source.freeze();
        var clone = InMemoryPagedImage.over(view);
        assertThat(clone.load(2 * PAGE, 8)).isEqualTo(42);
        assertThat(clone.dirtyPageCount()).isZero();
        clone.store(2 * PAGE, 8, 43);
        assertThat(view.page(2)[0]).isEqualTo((byte) 42);
        assertThat(dirty(clone)).containsExactly(2L);
    }

    @Test
    void bulkReadAndWriteCrossPageBoundaries() {
        var image = new InMemoryPagedImage(4 * PAGE, PAGE);
        byte[] data = new byte[PAGE + 100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        image.write(PAGE - 50, data, 0, data.length);
        byte[] back = new byte[data.length];
        image.read(PAGE - 50, back, 0, back.length);
        assertThat(back).isEqualTo(data);
        assertThat(dirty(image)).containsExactly(0L, 1L, 2L);
        byte[] viaView = new byte[data.length];
        image.freeze().read(PAGE - 50, viaView, 0, viaView.length);
        assertThat(viaView).isEqualTo(data);
    }

    @Test
    void outOfRangeAccessIsRejected() {
        var image = new InMemoryPagedImage(2 * PAGE, PAGE);
        assertThatThrownBy(() -> image.read(2 * PAGE - 4, new byte[8], 0, 8))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new InMemoryPagedImage(PAGE + 1, PAGE))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writeAfterFreezeCopiesExactlyOnePageAndSharesTheRest() {
        var image = new InMemoryPagedImage(8 * PAGE, PAGE);
        for (int i = 0; i < 8; i++) {
            image.store((long) i * PAGE, 8, i + 1);
        }
        byte[][] before = new byte[8][];
        for (int i = 0; i < 8; i++) {
            before[i] = image.pageForRead(i);
        }
        FrozenImage view = image.freeze();
        image.store(3 * PAGE + 16, 8, 99);
        for (int i = 0; i < 8; i++) {
            if (i == 3) {
                assertThat(image.pageForRead(i)).isNotSameAs(before[i]);
                assertThat(view.page(i)).isSameAs(before[i]);
            } else {
                assertThat(image.pageForRead(i)).as("page %d", i).isSameAs(before[i]);
                assertThat(view.page(i)).as("page %d", i).isSameAs(before[i]);
            }
        }
        byte[] copy = image.pageForWrite(3);
        image.store(3 * PAGE + 24, 8, 100); // second write in the same epoch: in place, no copy
        assertThat(image.pageForWrite(3)).isSameAs(copy);
        assertThat(view.page(3)[16]).isZero();
        assertThat(image.load(3 * PAGE, 8)).isEqualTo(4);
    }

    @Test
    void sparseTerabyteDiskAllocatesTableLeavesOnlyWhereWritten() {
        long tib = 1L << 40;
        var disk = new InMemoryPagedImage(tib, PAGE);
        assertThat(disk.pageCount()).isEqualTo(tib / PAGE);
        assertThat(disk.allocatedLeaves()).isZero();
        disk.store(tib - 8, 8, 0x1234);
        disk.store(0, 1, 1);
        assertThat(disk.allocatedLeaves()).isEqualTo(2);
        FrozenImage view = disk.freeze();
        assertThat(view.page(tib / PAGE - 1)).isNotNull();
        assertThat(view.page(12345)).isNull();
        assertThat(disk.load(tib - 8, 8)).isEqualTo(0x1234);
        assertThat(disk.load(tib / 2, 8)).isZero();
        assertThat(dirty(disk)).containsExactly(0L, tib / PAGE - 1);
    }

    @Test
    void pagesAbsentFromTheBaseReadAsZeroAndFrozenViewsReportThemAsNull() {
        var image = new InMemoryPagedImage(4 * PAGE, PAGE);
        assertThat(image.pageForRead(2)).containsOnly(0);
        FrozenImage view = image.freeze();
        assertThat(view.page(2)).isNull();
        assertThat(image.pageForWrite(2)).isNotSameAs(image.pageForRead(1));
    }

    @Test
    void markPersistedRejectsAViewOfAnotherImage() {
        var a = new InMemoryPagedImage(2 * PAGE, PAGE);
        var b = new InMemoryPagedImage(2 * PAGE, PAGE);
        assertThatThrownBy(() -> a.markPersisted(b.freeze()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not frozen from this image");
    }

    @Test
    void persistingAnOlderViewAfterANewerOneChangesNothing() {
        var image = new InMemoryPagedImage(4 * PAGE, PAGE);
        image.store(0, 1, 1);
        FrozenImage older = image.freeze();
        image.store(PAGE, 1, 1);
        FrozenImage newer = image.freeze();
        image.store(2 * PAGE, 1, 1);
        image.markPersisted(newer);
        image.markPersisted(older);
        assertThat(dirty(image)).containsExactly(2L);
    }
}
