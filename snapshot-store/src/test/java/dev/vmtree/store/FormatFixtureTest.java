package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A repository made by format 1 (committed under fixtures/v1) still opens, verifies and reads back. */
class FormatFixtureTest {
    @TempDir
    Path dir;

    @Test
    void formatOneFixtureReadsBack() throws Exception {
        Path src = Path.of(FormatFixtureTest.class.getResource("/fixtures/v1/vmtree").toURI());
        Path dst = dir.resolve(Repository.DIR);
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        // Git does not keep empty directories; Git itself needs these.
        Files.createDirectories(dst.resolve("meta.git/refs/heads"));
        Files.createDirectories(dst.resolve("meta.git/refs/tags"));
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.fsck().problems()).isEmpty();
            SnapshotId main = repo.resolve("main").orElseThrow();
            assertThat(repo.resolve("refs/tags/golden")).contains(main);
            Snapshot s = repo.readSnapshot(main);
            assertThat(new String(s.content().files().get("config.txt"))).isEqualTo(FixtureV1.CONFIG);
            PageTree t = repo.pageTree(s.content().images().get("ram"));
            for (int i = 0; i < FixtureV1.PAGES; i++) {
                byte[] want = FixtureV1.page(i);
                if (want != null && java.util.Arrays.equals(want, new byte[want.length])) {
                    want = null; // an all-zero page is never stored
                }
                assertThat(t.page(i)).as("page %d", i).isEqualTo(want);
            }
            assertThat(repo.extraRoots()).singleElement().satisfies(r -> {
                assertThat(r.name()).isEqualTo("instance/fixture");
                assertThat(r.snapshots()).containsExactly(main);
            });
            assertThat(repo.reflog("main")).isNotEmpty();
        }
    }
}
