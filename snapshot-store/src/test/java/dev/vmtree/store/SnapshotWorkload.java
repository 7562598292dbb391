package dev.vmtree.store;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * The workload of the crash, power-loss and concurrency tests: snapshot {@code seed} is an image
 * of {@link #PAGES} pages, each on its own branch "s{seed}", mixing zero pages, pages shared by
 * every snapshot and pages unique to it, so chunks are deduplicated across snapshots.
 */
final class SnapshotWorkload {
    private SnapshotWorkload() {}

    static final int PAGES = 256; // 1 MiB
    static final int PAGE = 4096;

    static byte[] page(long seed, long i) {
        int kind = (int) ((i + seed) % 4);
        if (kind == 0) {
            return null;
        }
        byte[] p = new byte[PAGE];
        new SplittableRandom(kind == 1 ? i : seed * 100_003 + i).nextBytes(p);
        return p;
    }

    static SnapshotId write(Repository repo, WriteTransaction tx, long seed) {
        PageTreeRoot root = tx.buildTree((long) PAGES * PAGE, PAGE, i -> page(seed, i));
        var res = tx.commit("s" + seed, new SnapshotContent(Map.of("seed", Long.toString(seed).getBytes()),
                Map.of("ram", root)), "snapshot " + seed);
        if (!res.ref().ok()) {
            throw new IllegalStateException("ref not moved: " + res.ref());
        }
        return res.snapshot();
    }

    /** Checks that snapshot {@code id} holds exactly the image of {@code seed}. */
    static void verify(Repository repo, SnapshotId id, long seed) {
        Snapshot s = repo.readSnapshot(id);
        PageTree t = repo.pageTree(s.content().images().get("ram"));
        for (int i = 0; i < PAGES; i++) {
            byte[] want = page(seed, i);
            byte[] got = t.page(i);
            if (!java.util.Arrays.equals(want, got)) {
                throw new AssertionError("snapshot " + id + " (seed " + seed + ") page " + i + " differs");
            }
        }
        if (!repo.resolveRef("s" + seed).orElseThrow().equals(id)) {
            throw new AssertionError("branch s" + seed + " does not point at " + id);
        }
    }
}
