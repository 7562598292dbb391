package dev.vmtree.store;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The store's worker pool: SHA-256, LZ4 and verification run on every core. The common pool
 * would leave one of two cores idle (its parallelism is cores − 1), hence a pool of our own.
 */
final class Parallel {
    private Parallel() {}

    static final ForkJoinPool POOL = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setDaemon(true);
                t.setName("vmtree-store-" + t.getPoolIndex());
                return t;
            }, null, false);

    /** Runs {@code body} for 0 ≤ i < n on all cores, in batches; rethrows the first failure as thrown. */
    static void run(int n, IntConsumer body) {
        if (n == 0) {
            return;
        }
        int tasks = Math.max(1, Math.min(n / 16, POOL.getParallelism() * 8));
        int per = (n + tasks - 1) / tasks;
        try {
            POOL.submit(() -> IntStream.range(0, tasks).parallel().forEach(t -> {
                for (int i = t * per, e = Math.min(n, i + per); i < e; i++) {
                    body.accept(i);
                }
            })).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new StoreException(String.valueOf(c), c);
        }
    }
}
