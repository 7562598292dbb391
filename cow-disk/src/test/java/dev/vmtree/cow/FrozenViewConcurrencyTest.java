package dev.vmtree.cow;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Frozen views are read on other threads while the writer goes on (as the store does when it
 * encodes a view): a view must never show a torn page or a write made after it was frozen.
 */
class FrozenViewConcurrencyTest {

    private static final int PAGE = 512;
    private static final int PAGES = 2048;

    private record View(FrozenImage image, long epoch) {}

    @Test
    void readersOfFrozenViewsNeverSeeLaterOrTornWrites() throws Exception {
        var image = new InMemoryPagedImage((long) PAGE * PAGES, PAGE);
        BlockingQueue<View> views = new ArrayBlockingQueue<>(16);
        List<String> problems = new CopyOnWriteArrayList<>();
        View done = new View(null, -1);
        Runnable reader = () -> {
            try {
                for (View v = views.take(); v != done; v = views.take()) {
                    for (long p = 0; p < PAGES; p++) {
                        byte[] page = v.image().page(p);
                        if (page == null) {
                            continue;
                        }
                        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
                        long first = b.getLong(0);
                        for (int at = 8; at < PAGE; at += 8) {
                            if (b.getLong(at) != first) {
                                problems.add("torn page " + p + " in view of epoch " + v.epoch());
                                break;
                            }
                        }
                        if ((first >>> 32) > v.epoch()) {
                            problems.add("page " + p + " written in epoch " + (first >>> 32) + " visible in view of epoch " + v.epoch());
                        }
                    }
                }
                views.put(done); // let the other reader finish too
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Thread r1 = Thread.ofPlatform().start(reader);
        Thread r2 = Thread.ofPlatform().start(reader);

        SplittableRandom rnd = new SplittableRandom(3);
        ByteBuffer fill = ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 40_000; i++) {
            long page = rnd.nextLong(PAGES);
            long stamp = (image.epoch() << 32) | i;
            for (int at = 0; at < PAGE; at += 8) {
                fill.putLong(at, stamp);
            }
            image.write(page * PAGE, fill.array(), 0, PAGE);
            if (i % 500 == 499) {
                long epoch = image.epoch();
                views.put(new View(image.freeze(), epoch));
            }
        }
        views.put(done);
        r1.join(TimeUnit.MINUTES.toMillis(2));
        r2.join(TimeUnit.MINUTES.toMillis(2));
        assertThat(problems).isEmpty();
    }
}
