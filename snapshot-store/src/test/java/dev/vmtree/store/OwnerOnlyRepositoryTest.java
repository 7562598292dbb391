package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository holds guest RAM and disks: everything under .vmtree is its owner's only, whatever
 * the umask (issue 12, secrets at rest). Runs under this JVM's umask, which must let new files be
 * read by others for the test to mean anything (022, the common default).
 */
class OwnerOnlyRepositoryTest {
    @TempDir
    Path tmp;
    /** The user's directory, made by init under the umask (JUnit's own temporary directory is 0700). */
    Path dir;

    @BeforeEach
    void umaskLetsOthersRead() throws IOException {
        dir = tmp.resolve("work");
        Path probe = Files.createFile(tmp.resolve("probe"));
        assumeTrue(Files.getPosixFilePermissions(probe).contains(PosixFilePermission.OTHERS_READ),
                "this JVM's umask already hides new files from others");
        Files.delete(probe);
    }

    /** Every path under {@code top} whose mode lets group or others in, with its mode. */
    static List<String> notOwnerOnly(Path top) throws IOException {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Set<PosixFilePermission> m = Files.getPosixFilePermissions(p);
                if (m.stream().anyMatch(x -> !x.name().startsWith("OWNER"))) {
                    bad.add(PosixFilePermissions.toString(m) + " " + top.relativize(p));
                }
            }
        }
        return bad;
    }

    @Test
    void everythingAStoreWritesIsForItsOwnerOnly() throws IOException {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot root = tx.buildTree(64L * TestImages.PAGE, TestImages.PAGE, i -> TestImages.mixed(64, 3)[(int) i]);
            var c = tx.commit("main", new SnapshotContent(Map.of("f", "x".getBytes()), Map.of("ram", root)), "first");
            tx.updateRef("refs/tags/golden", null, c.snapshot(), "tag");
            tx.updateRef("refs/heads/other", null, c.snapshot(), "branch");
            tx.updateRef("refs/heads/other", c.snapshot(), null, "deleted");
            tx.registerRoot(new ExtraRoot("instance/a", List.of(root), List.of(), List.of()));
        }
        try (Repository repo = Repository.open(dir)) {
            repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {});
        }
        assertThat(Files.getPosixFilePermissions(dir.resolve(".vmtree"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(notOwnerOnly(dir.resolve(".vmtree"))).isEmpty();
        assertThat(Files.getPosixFilePermissions(dir)).as("the user's own directory keeps the umask's mode")
                .contains(PosixFilePermission.OTHERS_READ);
    }

    @Test
    void openingARepositoryMadeWithTheUmasksModesClosesItsDirectory() throws IOException {
        Repository.init(dir).close();
        Path store = dir.resolve(".vmtree");
        Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwxr-xr-x"));
        Repository.open(dir).close();
        assertThat(Files.getPosixFilePermissions(store)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }
}
