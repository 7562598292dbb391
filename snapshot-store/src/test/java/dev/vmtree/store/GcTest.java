package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gc keeps exactly what refs, unexpired reflog entries and extra roots reach. */
class GcTest {
    @TempDir
    Path dir;

    private static Set<ChunkId> chunksOf(Repository repo, PageTreeRoot root) {
        Set<ChunkId> s = new HashSet<>();
        PageTree.forEachChunk(repo.chunks(), root, new HashSet<>(), s::add);
        return s;
    }

    private static long storedChunks(Repository repo) {
        repo.chunks().refresh();
        return repo.chunks().packs().stream().mapToLong(p -> p.index().size()).sum();
    }

    @Test
    void gcKeepsWhatTheReflogStillNamesAndDropsItAfterExpiry() {
        PageTreeRoot a;
        PageTreeRoot b;
        SnapshotId sa;
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            a = tx.buildTree(128 * 4096L, 4096, i -> SnapshotWorkload.page(1, i));
            sa = tx.commit("main", SnapshotContent.ofImages(Map.of("ram", a)), "a").snapshot();
            b = tx.buildTree(128 * 4096L, 4096, i -> SnapshotWorkload.page(2, i));
            SnapshotId sb = tx.writeSnapshot(List.of(), SnapshotContent.ofImages(Map.of("ram", b)), "b");
            // Roll main back to an unrelated snapshot: a is now reachable only through the reflog.
            assertThat(tx.updateRef("main", sa, sb, "reset").status()).isEqualTo(RefResult.Status.FORCED);
            tx.chunks().put(new byte[] {1, 2, 3}); // named by nothing at all
            tx.flush();
        }
        try (Repository repo = Repository.open(dir)) {
            Set<ChunkId> onlyA = chunksOf(repo, a);
            Set<ChunkId> ofB = chunksOf(repo, b);
            onlyA.removeAll(ofB);
            assertThat(onlyA).isNotEmpty();

            GcReport keep = repo.gc(Duration.ofDays(90), Duration.ofSeconds(5), m -> {});
            assertThat(keep.chunksDropped()).isEqualTo(1); // the unnamed chunk
            assertThat(storedChunks(repo)).isEqualTo(onlyA.size() + ofB.size());
            assertThat(repo.pageTree(repo.readSnapshot(sa).content().images().get("ram")).page(5))
                    .isEqualTo(SnapshotWorkload.page(1, 5));

            GcReport expired = repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {});
            assertThat(expired.reflogEntriesExpired()).isPositive();
            assertThat(expired.chunksDropped()).isEqualTo(onlyA.size());
            assertThat(storedChunks(repo)).isEqualTo(ofB.size());
            onlyA.forEach(id -> assertThat(repo.chunks().contains(id)).isFalse());
            ofB.forEach(id -> assertThat(repo.chunks().contains(id)).isTrue());
            assertThat(repo.fsck().problems()).isEmpty();
        }
    }
}
