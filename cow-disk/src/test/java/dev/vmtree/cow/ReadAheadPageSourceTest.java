package dev.vmtree.cow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReadAheadPageSourceTest {

    /** A source whose page i is filled with (byte) i, recording which pages were asked for. */
    private static final class Recording implements PageSource {
        final Set<Long> asked = ConcurrentHashMap.newKeySet();

        @Override
        public byte[] page(long index) {
            asked.add(index);
            if (index == 13) {
                throw new PageFaultException("chunk of page 13 is damaged");
            }
            byte[] p = new byte[512];
            java.util.Arrays.fill(p, (byte) index);
            return p;
        }
    }

    /** Waits until every one of {@code pages} has been asked for: read-ahead fetches them in any order. */
    private static void awaitAsked(Recording r, long... pages) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (long page : pages) {
            while (!r.asked.contains(page) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
        }
    }

    @Test
    void sequentialFaultsFetchTheWindowAheadAndReturnTheRightPages() throws Exception {
        Recording source = new Recording();
        var ahead = new ReadAheadPageSource(source, 12, 4);
        assertThat(ahead.page(0)[0]).isEqualTo((byte) 0);
        assertThat(source.asked).containsExactly(0L); // a first fault is not yet a sequence
        assertThat(ahead.page(1)[0]).isEqualTo((byte) 1);
        awaitAsked(source, 2, 3, 4, 5);
        assertThat(source.asked).contains(2L, 3L, 4L, 5L).doesNotContain(6L);
        for (long i = 2; i < 12; i++) {
            assertThat(ahead.page(i)).containsOnly((byte) i);
        }
        assertThat(source.asked).hasSize(12); // never past the end, never twice
    }

    @Test
    void smallReadsWithinOnePageAskTheSourceOnceAndKeepTheSequence() throws Exception {
        Recording source = new Recording();
        var ahead = new ReadAheadPageSource(source, 100, 2);
        for (long i = 0; i < 5; i++) {
            for (int sector = 0; sector < 16; sector++) { // 16 small reads of each page
                assertThat(ahead.page(i)).containsOnly((byte) i);
            }
        }
        awaitAsked(source, 0, 1, 2, 3, 4, 5, 6);
        assertThat(source.asked).containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void randomFaultsFetchNothingAhead() {
        Recording source = new Recording();
        var ahead = new ReadAheadPageSource(source, 100, 8);
        for (long i : new long[] {50, 7, 90, 3, 60}) {
            assertThat(ahead.page(i)).containsOnly((byte) i);
        }
        assertThat(source.asked).containsExactlyInAnyOrder(50L, 7L, 90L, 3L, 60L);
    }

    @Test
    void aFailedFetchAheadSurfacesAsThePageFaultOfThatPage() {
        var ahead = new ReadAheadPageSource(new Recording(), 20, 8);
        for (long i = 10; i < 13; i++) {
            ahead.page(i);
        }
        assertThatThrownBy(() -> ahead.page(13))
                .isInstanceOf(PageFaultException.class)
                .hasMessage("chunk of page 13 is damaged");
    }
}
