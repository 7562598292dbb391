package dev.vmtree.cow;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A {@link PageSource} that notices sequential faults and fetches the next {@code window} pages on
 * other cores while the caller consumes the current one. Meant for disks faulted in from the store,
 * where each page costs a read, an LZ4 decode and a SHA-256 check: a sequential scan then runs at
 * the speed of all cores instead of one. Random access fetches nothing ahead.
 *
 * <p>At most {@code window} pages are in flight or waiting; a non-sequential fault drops them. The
 * last page returned is kept, so repeated reads of one page cost nothing and keep the sequence.
 * Threading: safe for any number of threads, like every PageSource.
 */
public final class ReadAheadPageSource implements PageSource {

    private static final ExecutorService FETCHERS = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().daemon().name("vmtree-readahead-", 0).factory());

    private final PageSource source;
    private final long pageCount;
    private final int window;
    private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> ahead = new ConcurrentHashMap<>();
    /** The page a sequential reader asks for next, and the first page not yet scheduled. */
    private long expected = -1;
    private long scheduledTo = -1;
    /**
     * The page returned last: small sequential reads (4 KiB guest sectors in a 64 KiB block) ask
     * for one page many times in a row, and must neither re-read it nor break the sequence.
     */
    private long lastIndex = -1;
    private byte[] lastPage;

    public ReadAheadPageSource(PageSource source, long pageCount, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("read-ahead window must be >= 1: " + window);
        }
        this.source = source;
        this.pageCount = pageCount;
        this.window = window;
    }

    @Override
    public byte[] page(long index) {
        synchronized (this) {
            if (index == lastIndex) {
                return lastPage;
            }
        }
        byte[] p = fetch(index);
        synchronized (this) {
            lastIndex = index;
            lastPage = p;
        }
        return p;
    }

    private byte[] fetch(long index) {
        CompletableFuture<byte[]> mine = ahead.remove(index);
        long from;
        long to;
        synchronized (this) {
            boolean sequential = index == expected;
            expected = index + 1;
            if (!sequential && mine == null) {
                ahead.values().forEach(f -> f.cancel(false));
                ahead.clear();
                scheduledTo = index + 1;
                from = to = 0; // a jump: fetch nothing ahead until the next sequential fault
            } else {
                from = Math.max(scheduledTo, index + 1);
                to = Math.min(pageCount, index + 1 + window);
                scheduledTo = Math.max(scheduledTo, to);
            }
        }
        for (long i = from; i < to; i++) {
            long page = i;
            ahead.put(page, CompletableFuture.supplyAsync(() -> source.page(page), FETCHERS));
        }
        if (mine == null) {
            return source.page(index);
        }
        try {
            return mine.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r; // the same PageFaultException a direct fault would have thrown
            }
            throw new PageFaultException("page " + index + ": " + e.getCause(), e.getCause());
        }
    }

    @Override
    public String toString() {
        return "ReadAhead[" + window + " pages over " + source + "]";
    }
}
