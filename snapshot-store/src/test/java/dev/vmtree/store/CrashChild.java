package dev.vmtree.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The child JVM of {@link CrashTest} and {@link ConcurrentWritersTest}: writes snapshots with
 * seeds from {@code first} on, printing "COMMITTED seed id" after each commit returns, and runs
 * gc every few snapshots, until killed or {@code count} snapshots are written.
 */
public final class CrashChild {
    private CrashChild() {}

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        long first = Long.parseLong(args[1]);
        long count = Long.parseLong(args[2]);
        try (Repository repo = Repository.open(dir)) {
            System.out.println("READY");
            System.out.flush();
            for (long seed = first; seed < first + count; seed++) {
                SnapshotId id;
                try (WriteTransaction tx = repo.beginWrite()) {
                    id = SnapshotWorkload.write(repo, tx, seed);
                }
                System.out.println("COMMITTED " + seed + " " + id.hex());
                System.out.flush();
                if (seed % 3 == 2) {
                    repo.gc(Duration.ZERO, Duration.ofSeconds(60), m -> {});
                }
            }
        }
    }
}
