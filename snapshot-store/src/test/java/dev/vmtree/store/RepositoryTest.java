package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
    @TempDir
    Path dir;

    private static PageTreeRoot build(WriteTransaction tx, byte[][] pages) {
        return tx.buildTree((long) pages.length * TestImages.PAGE, TestImages.PAGE, i -> pages[(int) i]);
    }

    @Test
    void roundTripThroughACommitReadsBackEveryPage() {
        byte[][] pages = TestImages.mixed(3000, 1);
        SnapshotId id;
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot root = build(tx, pages);
            var res = tx.commit("main", new SnapshotContent(Map.of("config.txt", "ram=12M\n".getBytes()),
                    Map.of("ram", root)), "first");
            assertThat(res.ref().status()).isEqualTo(RefResult.Status.CREATED);
            id = res.snapshot();
        }
        try (Repository repo = Repository.open(dir.resolve("sub/dir").getParent().getParent())) {
            Snapshot s = repo.readSnapshot(repo.resolve("main").orElseThrow());
            assertThat(s.id()).isEqualTo(id);
            assertThat(new String(s.content().files().get("config.txt"))).isEqualTo("ram=12M\n");
            PageTree tree = repo.pageTree(s.content().images().get("ram"));
            for (int i = 0; i < pages.length; i++) {
                assertThat(tree.page(i)).as("page %d", i).isEqualTo(pages[i]);
            }
            assertThat(repo.fsck().ok()).isTrue();
        }
    }

    @Test
    void openWalksUpFromASubdirectory() throws Exception {
        Repository.init(dir).close();
        Path deep = Files.createDirectories(dir.resolve("a/b/c"));
        try (Repository repo = Repository.open(deep)) {
            assertThat(repo.topDirectory()).isEqualTo(dir.toAbsolutePath());
        }
    }

    @Test
    void aPagePresentInTwoImagesIsStoredOnce() {
        Random r = new Random(2);
        byte[] shared = TestImages.randomPage(r);
        byte[][] a = {shared, TestImages.randomPage(r)};
        byte[][] b = {TestImages.randomPage(r), shared};
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            build(tx, a);
            int afterFirst = tx.chunks().newChunks();
            build(tx, b);
            // b adds one new page and one node: the shared page is not stored again.
            assertThat(tx.chunks().newChunks() - afterFirst).isEqualTo(2);
        }
    }

    @Test
    void zeroPagesCostNothing() {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot root = tx.buildTree(1L << 30, TestImages.PAGE, i -> null);
            assertThat(root.root()).isEqualTo(ChunkId.ZERO);
            assertThat(tx.chunks().newChunks()).isZero();
            byte[] one = new byte[TestImages.PAGE];
            one[7] = 1;
            PageTreeRoot sparse = tx.updateTree(root, i -> i == 100_000 ? one : null, new long[] {100_000});
            // one page plus one node per level; all-zero siblings are not stored.
            assertThat(tx.chunks().newChunks()).isEqualTo(1 + sparse.depth());
            assertThat(repo.pageTree(sparse).page(99_999)).isNull();
            assertThat(repo.pageTree(sparse).page(100_000)).isEqualTo(one);
        }
    }

    @Test
    void kChangedPagesAddAtMostKTimesDepthPlusOneChunksAndDiffFindsThem() {
        int n = 70_000; // depth 3 with fanout 64
        byte[][] pages = TestImages.mixed(n, 3);
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot v1 = build(tx, pages);
            assertThat(v1.depth()).isEqualTo(3);
            Random r = new Random(4);
            long[] dirty = r.longs(40, 0, n).distinct().sorted().toArray();
            byte[][] v2pages = pages.clone();
            for (long d : dirty) {
                v2pages[(int) d] = TestImages.randomPage(r);
            }
            int before = tx.chunks().newChunks();
            PageTreeRoot v2 = tx.updateTree(v1, i -> v2pages[(int) i], dirty);
            int added = tx.chunks().newChunks() - before;
            assertThat(added).isLessThanOrEqualTo(dirty.length * (v1.depth() + 1)).isGreaterThanOrEqualTo(dirty.length);
            // Same contents, same root: the update equals a fresh build.
            assertThat(v2).isEqualTo(build(tx, v2pages));
            List<Long> diff = new ArrayList<>();
            PageTree.diff(repo.chunks(), v1, v2, diff::add);
            assertThat(diff).containsExactly(java.util.Arrays.stream(dirty).boxed().toArray(Long[]::new));
            // what a holder of v1 lacks of v2 (a live migration's round): exactly v2's chunks that v1 has not
            java.util.Set<ChunkId> fresh = new java.util.HashSet<>();
            PageTree.newChunks(repo.chunks(), v1, v2, fresh::add);
            java.util.Set<ChunkId> had = new java.util.HashSet<>(), now = new java.util.HashSet<>();
            PageTree.forEachChunk(repo.chunks(), v1, new java.util.HashSet<>(), had::add);
            PageTree.forEachChunk(repo.chunks(), v2, new java.util.HashSet<>(), now::add);
            now.removeAll(had);
            assertThat(fresh).isEqualTo(now).hasSizeBetween(dirty.length, dirty.length * (v1.depth() + 1));
        }
    }

    @Test
    void foreignDirectoryGivesAOneLineError() throws Exception {
        Files.createDirectories(dir.resolve(".vmtree"));
        assertThatThrownBy(() -> Repository.open(dir)).isInstanceOf(StoreException.class)
                .hasMessageContaining("not a vmtree repository").hasMessageContaining("FORMAT");
        Path none = Files.createTempDirectory("vmtree-none");
        assertThatThrownBy(() -> Repository.open(none)).isInstanceOf(StoreException.class)
                .hasMessageStartingWith("not a vmtree repository (or any parent");
    }

    @Test
    void extraRootsSurviveReopenAndKeepTheirChunksThroughGc() {
        byte[][] pages = TestImages.mixed(300, 5);
        PageTreeRoot kept;
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            kept = build(tx, pages);
            tx.registerRoot(new ExtraRoot("instance/a", List.of(kept), List.of(), List.of()));
            build(tx, TestImages.mixed(300, 6));   // unnamed: garbage
            tx.flush();
        }
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.extraRoots()).extracting(ExtraRoot::name).containsExactly("instance/a");
            GcReport gc = repo.gc(Duration.ofDays(90), Duration.ofSeconds(5), m -> {});
            assertThat(gc.chunksDropped()).isGreaterThan(0);
            PageTree t = repo.pageTree(kept);
            for (int i = 0; i < pages.length; i++) {
                assertThat(t.page(i)).isEqualTo(pages[i]);
            }
            assertThat(repo.fsck().ok()).isTrue();
        }
    }
}
