package dev.vmtree.cow;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Randomized equivalence of {@link InMemoryPagedImage} against a plain byte array: random writes,
 * stores, freezes, persists (of the newest or an older view) over a zero or a non-zero base. Every
 * frozen view must keep the bytes it had, and the dirty set must be exactly the pages written since
 * the newest persisted view. Seeded, so a failure replays.
 */
class InMemoryPagedImageModelTest {

    private static final int PAGE = 512;
    private static final int PAGES = 3 * InMemoryPagedImage.LEAF_PAGES + 17; // several leaves, one partial
    private static final int SIZE = PAGE * PAGES;

    private record View(FrozenImage image, byte[] bytes, long seq) {}

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void behavesLikeAByteArrayWithSnapshots(long seed) {
        Random rnd = new Random(seed);
        byte[] model = new byte[SIZE];
        PageSource base = PageSource.ZERO;
        if (seed % 2 == 0) { // odd seeds start from zero, even ones over a frozen non-zero base
            var origin = new InMemoryPagedImage(SIZE, PAGE);
            for (int i = 0; i < 200; i++) {
                int page = rnd.nextInt(PAGES);
                byte[] data = new byte[PAGE];
                rnd.nextBytes(data);
                origin.write((long) page * PAGE, data, 0, PAGE);
                System.arraycopy(data, 0, model, page * PAGE, PAGE);
            }
            base = origin.freeze();
        }
        var image = new InMemoryPagedImage(SIZE, PAGE, base);
        long[] lastWrite = new long[PAGES];
        long seq = 0;
        long persistedSeq = 0;
        List<View> views = new ArrayList<>();

        for (int step = 0; step < 600; step++) {
            seq++;
            int op = rnd.nextInt(100);
            if (op < 40) {
                int off = rnd.nextInt(SIZE);
                int len = rnd.nextInt(Math.min(3 * PAGE, SIZE - off) + 1);
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                image.write(off, data, 0, len);
                System.arraycopy(data, 0, model, off, len);
                for (int p = off / PAGE; len > 0 && p <= (off + len - 1) / PAGE; p++) {
                    lastWrite[p] = seq;
                }
            } else if (op < 55) {
                int width = 1 << rnd.nextInt(4);
                int off = rnd.nextInt(SIZE / width) * width;
                long value = rnd.nextLong();
                image.store(off, width, value);
                for (int b = 0; b < width; b++) {
                    model[off + b] = (byte) (value >>> (8 * b));
                }
                lastWrite[off / PAGE] = seq;
            } else if (op < 60) {
                int p = rnd.nextInt(PAGES);
                image.pageForWrite(p); // handing out a writable array counts as a write
                lastWrite[p] = seq;
            } else if (op < 75) {
                int off = rnd.nextInt(SIZE);
                int len = rnd.nextInt(Math.min(4 * PAGE, SIZE - off) + 1);
                byte[] got = new byte[len];
                image.read(off, got, 0, len);
                assertThat(got).as("seed %d step %d read", seed, step)
                        .isEqualTo(Arrays.copyOfRange(model, off, off + len));
            } else if (op < 88) {
                views.add(new View(image.freeze(), model.clone(), seq));
                if (views.size() > 6) {
                    views.remove(rnd.nextInt(views.size()));
                }
            } else if (op < 96 || views.isEmpty()) {
                View v = new View(image.freeze(), model.clone(), seq);
                views.add(v);
                image.markPersisted(v.image());
                persistedSeq = Math.max(persistedSeq, v.seq());
            } else {
                View older = views.get(rnd.nextInt(views.size()));
                image.markPersisted(older.image());
                persistedSeq = Math.max(persistedSeq, older.seq());
            }

            List<Long> expectedDirty = new ArrayList<>();
            for (int p = 0; p < PAGES; p++) {
                if (lastWrite[p] > persistedSeq) {
                    expectedDirty.add((long) p);
                }
            }
            List<Long> dirty = new ArrayList<>();
            image.forEachDirtyPage(dirty::add);
            if (!dirty.equals(expectedDirty)) { // plain equals first: AssertJ on every step is slow
                assertThat(dirty).as("seed %d step %d dirty", seed, step).containsExactlyElementsOf(expectedDirty);
            }
            assertThat(image.dirtyPageCount()).as("seed %d step %d count", seed, step).isEqualTo(expectedDirty.size());

            if (step % 50 == 49) {
                for (View v : views) {
                    byte[] got = new byte[SIZE];
                    v.image().read(0, got, 0, SIZE);
                    assertThat(Arrays.mismatch(got, v.bytes())).as("seed %d step %d view of seq %d: first difference", seed, step, v.seq()).isEqualTo(-1);
                }
                byte[] now = new byte[SIZE];
                image.read(0, now, 0, SIZE);
                assertThat(Arrays.mismatch(now, model)).as("seed %d step %d image: first difference", seed, step).isEqualTo(-1);
            }
        }
    }
}
