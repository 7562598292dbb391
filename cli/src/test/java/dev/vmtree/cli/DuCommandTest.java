package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.vmtree.dom0.SpaceUsage;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.ChunkStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmtree du: figures that add up, against the store's own indexes. */
class DuCommandTest {
    @TempDir
    Path dir;

    @Test
    void twoBranchesSharingAllButOnePageSplitUniqueAndShared() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        int pages = 64;
        byte[] img = new byte[pages * 4096];
        Random r = new Random(3);
        for (int p = 0; p < pages; p++) {
            for (int i = 0; i < 4096; i++) {
                // even pages random (incompressible), odd pages a repeating pattern (LZ4 shrinks them)
                img[p * 4096 + i] = p % 2 == 0 ? (byte) r.nextInt() : (byte) ((i % 7) + p);
            }
        }
        Files.write(dir.resolve("one.img"), img);
        img[4 * 4096] ^= 1; // an incompressible page: its record is about 4 KiB
        Files.write(dir.resolve("two.img"), img);
        f.vm("store", "put", dir.resolve("one.img").toString(), "--branch", "main", "-m", "one").ok();
        f.vm("store", "put", dir.resolve("two.img").toString(), "--branch", "two", "-m", "two").ok();

        Dom0Fixture.Result human = f.vm("du").ok();
        assertThat(human.out()).contains("compression ").contains("dedup ").contains("main").contains("two");
        try (Toolstack ts = Toolstack.open(f.repo)) {
            SpaceUsage u = ts.spaceUsage();
            long raw = 0;
            long stored = 0;
            for (ChunkStore.Pack p : ts.repository().chunks().packs()) {
                for (int i = 0; i < p.index().size(); i++) {
                    raw += p.index().rawLength(i);
                    stored += p.index().recordLength(i);
                }
            }
            assertThat(u.chunkRawBytes()).isEqualTo(raw);
            assertThat(u.chunkStoredBytes()).isEqualTo(stored);
            assertThat(u.compressionRatio()).isGreaterThan(1.2);
            assertThat(u.logicalImageBytes()).isEqualTo(2L * pages * 4096);
            // 65 distinct pages plus two roots' nodes: nearly 2x dedup.
            assertThat(u.dedupRatio()).isCloseTo(2.0 * 64 / 65, within(0.05));
            SpaceUsage.Owner main = u.owners().stream().filter(o -> o.name().equals("main")).findFirst().orElseThrow();
            SpaceUsage.Owner two = u.owners().stream().filter(o -> o.name().equals("two")).findFirst().orElseThrow();
            assertThat(main.sharedBytes()).isEqualTo(two.sharedBytes());
            assertThat(main.uniqueBytes()).isBetween(4096L, 4096L + 44 + 4 + 2048 + 48);
            assertThat(main.uniqueBytes() + main.sharedBytes() + two.uniqueBytes()).isEqualTo(u.liveStoredBytes());
            assertThat(u.packBytes()).isGreaterThanOrEqualTo(stored);
            assertThat(u.totalBytes()).isEqualTo(u.packBytes() + u.indexBytes() + u.metaBytes() + u.otherBytes());
        }
        assertThat(f.vm("--json", "du").ok().out()).startsWith("{\"directory\":\"" + f.repo.resolve(".vmtree") + "\"")
                .contains("\"owners\":[{\"name\":\"main\",\"uniqueBytes\":");
    }
}
