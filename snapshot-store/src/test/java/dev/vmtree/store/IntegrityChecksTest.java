package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gc refuses to run, deleting nothing, on any file it cannot account for (a lost roots file, a
 * ref or reflog JGit cannot read, a lock that is not a file), and fsck fails on each, naming the
 * file and the fix.
 */
class IntegrityChecksTest {
    @TempDir
    Path dir;
    PageTreeRoot working;   // kept alive by the extra root alone
    PageTreeRoot onBranch;  // kept alive by refs/heads/keep alone (after its reflog expires)
    SnapshotId kept;

    @BeforeEach
    void aRootAndABranch() {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            working = tx.buildTree(16 * 4096L, 4096, i -> SnapshotWorkload.page(1, i));
            tx.registerRoot(new ExtraRoot("instance/vm", List.of(working), List.of(), List.of()));
            onBranch = tx.buildTree(16 * 4096L, 4096, i -> SnapshotWorkload.page(2, i));
            kept = tx.commit("keep", SnapshotContent.ofImages(Map.of("ram", onBranch)), "keep").snapshot();
        }
    }

    private Set<ChunkId> chunks(Repository repo, PageTreeRoot root) {
        Set<ChunkId> s = new HashSet<>();
        PageTree.forEachChunk(repo.chunks(), root, new HashSet<>(), s::add);
        return s;
    }

    /** gc with --expire 0 must stop, and every chunk of both images must still be there. */
    private void gcStopsAndKeepsEverything(Repository repo, String naming) {
        Set<ChunkId> all = chunks(repo, working);
        all.addAll(chunks(repo, onBranch));
        assertThatThrownBy(() -> repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {}))
                .isInstanceOf(StoreException.class).hasMessageStartingWith("gc stopped, nothing deleted: " + naming)
                .hasMessageNotContaining("\n");
        repo.chunks().refresh();
        all.forEach(id -> assertThat(repo.chunks().contains(id)).as(id.shortHex()).isTrue());
    }

    private FsckReport.Problem onlyProblem(Repository repo) {
        FsckReport r = repo.fsck();
        assertThat(r.ok()).isFalse();
        assertThat(r.problems()).hasSize(1);
        assertThat(r.problems().getFirst().toString()).doesNotContain("\n");
        return r.problems().getFirst();
    }

    @Test
    void aMissingRootsFileIsDamageNotAnEmptyList() throws Exception {
        Path roots = dir.resolve(".vmtree/roots");
        Files.delete(roots);
        try (Repository repo = Repository.open(dir)) {
            FsckReport.Problem p = onlyProblem(repo);
            assertThat(p.object()).isEqualTo(roots.toString());
            assertThat(p.reason()).startsWith("missing").contains("vmtree fsck --rebuild-roots");
            gcStopsAndKeepsEverything(repo, roots.toString());
            // a registration must not start a new file naming one root of many
            try (WriteTransaction tx = repo.beginWrite()) {
                assertThatThrownBy(() -> tx.registerRoot(new ExtraRoot("instance/other", List.of(), List.of(), List.of())))
                        .isInstanceOf(StoreException.class).hasMessageContaining(roots + " is missing");
                tx.replaceRoots(List.of(new ExtraRoot("instance/vm", List.of(working), List.of(), List.of())));
            }
            assertThat(repo.fsck().ok()).isTrue();
            repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {});
            chunks(repo, working).forEach(id -> assertThat(repo.chunks().contains(id)).isTrue());
        }
    }

    @Test
    void replacingADamagedRootsFileKeepsItAside() throws Exception {
        Path roots = dir.resolve(".vmtree/roots");
        Files.writeString(roots, "trailing\n", StandardOpenOption.APPEND);
        try (Repository repo = Repository.open(dir)) {
            assertThat(onlyProblem(repo).reason()).contains("malformed checksum line").contains("roots.damaged");
            try (WriteTransaction tx = repo.beginWrite()) {
                tx.replaceRoots(List.of());
            }
            assertThat(Files.readString(dir.resolve(".vmtree/roots.damaged"))).endsWith("trailing\n");
            assertThat(repo.extraRoots()).isEmpty();
        }
    }

    @Test
    void aGarbageRefFileIsNamedWithTheIdItsReflogLastNamed() throws Exception {
        Path ref = dir.resolve(".vmtree/meta.git/refs/heads/keep");
        Files.writeString(ref, "garbage\n");
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.refs()).doesNotContainKey("refs/heads/keep"); // JGit skips it: gc would not see it
            FsckReport.Problem p = onlyProblem(repo);
            assertThat(p.object()).isEqualTo(ref.toString());
            assertThat(p.reason()).contains("not a valid ref (\"garbage\")").contains(kept.hex()).contains("delete it");
            gcStopsAndKeepsEverything(repo, ref.toString());
        }
        Files.writeString(ref, kept.hex() + "\n");
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.fsck().ok()).isTrue();
        }
    }

    @Test
    void aGarbagePackedRefsLineIsNamed() throws Exception {
        Path packed = dir.resolve(".vmtree/meta.git/packed-refs");
        Files.writeString(packed, "# pack-refs with: peeled fully-peeled sorted \n" + kept.hex() + " refs/heads/old\nnot a ref\n");
        try (Repository repo = Repository.open(dir)) {
            FsckReport r = repo.fsck();
            assertThat(r.problems()).anyMatch(p -> p.object().equals(packed.toString())
                    && p.reason().startsWith("line 3 is not a packed ref"));
            assertThatThrownBy(() -> repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {}))
                    .isInstanceOf(StoreException.class).hasMessageContaining("nothing deleted");
        }
    }

    @Test
    void aBrokenReflogLineIsNamedAndReadingTheReflogSaysWhichFile() throws Exception {
        Path log = dir.resolve(".vmtree/meta.git/logs/refs/heads/keep");
        Files.writeString(log, "0000 1111 garbage\n", StandardOpenOption.APPEND);
        try (Repository repo = Repository.open(dir)) {
            FsckReport.Problem p = onlyProblem(repo);
            assertThat(p.object()).isEqualTo(log.toString());
            assertThat(p.reason()).startsWith("line 2 is not a reflog entry (\"0000 1111 garbage\")")
                    .contains("delete that line");
            assertThatThrownBy(() -> repo.reflog("keep")).isInstanceOf(StoreException.class)
                    .hasMessageStartingWith("damaged reflog " + log);
            gcStopsAndKeepsEverything(repo, log.toString());
        }
    }

    @Test
    void aCutShortReflogIsNamed() throws Exception {
        Path log = dir.resolve(".vmtree/meta.git/logs/refs/heads/keep");
        String text = Files.readString(log);
        Files.writeString(log, text.substring(0, text.length() - 10));
        try (Repository repo = Repository.open(dir)) {
            assertThat(onlyProblem(repo).reason()).contains("cut short");
        }
    }

    @Test
    void aLockThatIsADirectoryIsNamed() throws Exception {
        Path lock = dir.resolve(".vmtree/lock");
        Files.deleteIfExists(lock);
        Files.createDirectory(lock);
        try (Repository repo = Repository.open(dir)) {
            FsckReport.Problem p = onlyProblem(repo);
            assertThat(p.object()).isEqualTo(lock.toString());
            assertThat(p.reason()).startsWith("is a directory").contains("remove it");
        }
    }

    @Test
    void aMissingChunksDirectoryIsNamedWithWhatToDo() throws Exception {
        Path chunks = dir.resolve(".vmtree/chunks");
        try (var s = Files.list(chunks)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(chunks);
        assertThatThrownBy(() -> Repository.open(dir)).isInstanceOf(StoreException.class)
                .hasMessage("damaged repository: " + chunks + " is missing (it holds every chunk); restore it from a"
                        + " backup, or recreate it empty (mkdir) and run `vmtree fsck` to see what is lost");
        Files.createDirectory(chunks);
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.fsck().problems()).isNotEmpty().allMatch(p -> p.reason().contains("missing"));
        }
    }

    @Test
    void aBrokenMetaGitConfigIsNamed() throws Exception {
        Path config = dir.resolve(".vmtree/meta.git/config");
        Files.writeString(config, "[broken\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Repository.open(dir)).isInstanceOf(StoreException.class)
                .hasMessage("damaged repository: " + config + " cannot be parsed (Bad section entry: broken); fix it,"
                        + " or restore the settings docs/format.md lists");
    }

    @Test
    void aHealthyRepositoryHasNothingToAccountFor() {
        try (Repository repo = Repository.open(dir)) {
            assertThat(IntegrityChecks.find(repo)).isEmpty();
            assertThat(repo.fsck().ok()).isTrue();
        }
    }
}
