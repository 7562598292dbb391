package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile or damaged files give one-line errors naming what is damaged; fsck names who depends on it. */
class DamageTest {
    @TempDir
    Path dir;
    SnapshotId a;
    SnapshotId b;
    PageTreeRoot rootA;
    byte[] onlyInA;

    @BeforeEach
    void twoSnapshotsSharingMostPages() {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            rootA = tx.buildTree(64L * 4096, 4096, i -> SnapshotWorkload.page(1, i));
            a = tx.commit("a", SnapshotContent.ofImages(Map.of("ram", rootA)), "a").snapshot();
            onlyInA = SnapshotWorkload.page(1, 2);
            PageTreeRoot rootB = tx.updateTree(rootA, i -> SnapshotWorkload.page(2, i), new long[] {2});
            b = tx.commit("b", SnapshotContent.ofImages(Map.of("ram", rootB)), "b").snapshot();
        }
    }

    private static void flipByte(Path file, long offset) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int v = f.read();
            f.seek(offset);
            f.write(v ^ 0x10);
        }
    }

    private Path only(String suffix) throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve(".vmtree/chunks"))) {
            List<Path> l = s.filter(p -> p.toString().endsWith(suffix)).toList();
            assertThat(l).hasSize(2); // one pack per commit
            return l.getFirst();
        }
    }

    @Test
    void fsckCatchesAFlippedBitInAPackAndNamesTheSnapshotsThatNeedIt() throws Exception {
        ChunkId victim = ChunkId.hash(onlyInA);
        Path pack;
        long offset;
        try (Repository repo = Repository.open(dir)) {
            ChunkStore.Location loc = repo.chunks().locate(victim);
            pack = repo.chunks().packPath(loc.pack().name());
            offset = loc.offset();
        }
        flipByte(pack, offset + 100);
        try (Repository repo = Repository.open(dir)) {
            FsckReport r = repo.fsck();
            assertThat(r.ok()).isFalse();
            assertThat(r.problems()).hasSize(1);
            FsckReport.Problem p = r.problems().getFirst();
            assertThat(p.object()).isEqualTo("chunk " + victim.hex());
            assertThat(p.reason()).contains(pack.getFileName().toString());
            assertThat(String.join(" ", p.dependents())).contains(a.shortHex()).contains("refs/heads/a")
                    .doesNotContain("refs/heads/b");
            assertThatThrownBy(() -> repo.pageTree(rootA).page(2)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("damaged").hasMessageContaining(pack.toString()).hasMessageNotContaining("\n");
            // the other snapshot still reads
            assertThat(repo.pageTree(repo.readSnapshot(b).content().images().get("ram")).page(1))
                    .isEqualTo(SnapshotWorkload.page(1, 1));
        }
    }

    @Test
    void aDamagedIndexIsNamedAndItsChunksReportedMissing() throws Exception {
        Path idx = only(".idx");
        flipByte(idx, 60);
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.chunks().damagedIndexes()).singleElement().asString()
                    .contains(idx.toString()).contains("checksum mismatch");
            FsckReport r = repo.fsck();
            assertThat(r.problems().getFirst().object()).isEqualTo(idx.toString());
            assertThat(r.problems()).anyMatch(p -> p.reason().contains("missing") && !p.dependents().isEmpty());
        }
    }

    @Test
    void aTruncatedPackIsNamed() throws Exception {
        Path pack = only(".pack");
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.chunks().damagedIndexes()).singleElement().asString().contains(pack.toString()).contains("truncated");
            assertThat(repo.fsck().ok()).isFalse();
        }
    }

    @Test
    void aMissingChunkIsAOneLineError() throws Exception {
        Path idx = only(".idx");
        Files.delete(idx);
        Files.delete(Path.of(idx.toString().replace(".idx", ".pack")));
        try (Repository repo = Repository.open(dir)) {
            StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, () -> {
                for (SnapshotId s : List.of(a, b)) {
                    PageTree t = repo.pageTree(repo.readSnapshot(s).content().images().get("ram"));
                    for (int i = 0; i < 64; i++) {
                        t.page(i);
                    }
                }
            });
            assertThat(e.getMessage()).contains("is missing").doesNotContain("\n");
            assertThat(repo.fsck().ok()).isFalse();
        }
    }

    @Test
    void aCorruptGitObjectIsNamedWithItsSnapshot() throws Exception {
        Path obj = dir.resolve(".vmtree/meta.git/objects").resolve(a.hex().substring(0, 2)).resolve(a.hex().substring(2));
        obj.toFile().setWritable(true);
        Files.write(obj, new byte[] {1, 2, 3, 4, 5});
        try (Repository repo = Repository.open(dir)) {
            FsckReport r = repo.fsck();
            assertThat(r.problems()).anyMatch(p -> p.object().equals("git object " + a.hex())
                    && String.join(" ", p.dependents()).contains("refs/heads/a"));
            assertThatThrownBy(() -> repo.readSnapshot(a)).isInstanceOf(StoreException.class)
                    .hasMessageContaining(a.shortHex()).hasMessageNotContaining("\n");
        }
    }

    @Test
    void gcRefusesToDeleteAnythingInADamagedRepository() throws Exception {
        Path idx = only(".idx");
        flipByte(idx, 60);
        try (Repository repo = Repository.open(dir)) {
            assertThatThrownBy(() -> repo.gc(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5), m -> {}))
                    .isInstanceOf(StoreException.class).hasMessageContaining("nothing deleted");
        }
        try (Stream<Path> s = Files.list(dir.resolve(".vmtree/chunks"))) {
            assertThat(s.count()).isEqualTo(4);
        }
    }
}
