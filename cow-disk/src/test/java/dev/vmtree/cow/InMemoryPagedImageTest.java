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
}
