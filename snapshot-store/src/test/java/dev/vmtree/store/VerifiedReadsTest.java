package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Git objects in meta.git are checked against their ids on every read, as chunks are: a loose
 * object replaced by another valid object (its parent's) is damage, never the parent's data.
 */
class VerifiedReadsTest {
    @TempDir
    Path dir;
    SnapshotId parent;
    SnapshotId head;

    @BeforeEach
    void parentAndHeadOnMain() {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot a = tx.buildTree(16 * 4096L, 4096, i -> SnapshotWorkload.page(1, i));
            parent = tx.commit("main", SnapshotContent.ofImages(Map.of("ram", a)), "parent").snapshot();
            PageTreeRoot b = tx.updateTree(a, i -> SnapshotWorkload.page(2, i), new long[] {3});
            head = tx.commit("main", SnapshotContent.ofImages(Map.of("ram", b)), "head").snapshot();
        }
    }

    private Path loose(ObjectId id) {
        return dir.resolve(".vmtree/meta.git/objects").resolve(id.name().substring(0, 2)).resolve(id.name().substring(2));
    }

    /** The id of the {@code images} blob of a snapshot, read without verification. */
    private ObjectId imagesBlob(SnapshotId s) throws Exception {
        try (Repository repo = Repository.open(dir); RevWalk rw = new RevWalk(repo.meta().git())) {
            RevCommit c = rw.parseCommit(ObjectId.fromString(s.hex()));
            try (TreeWalk tw = TreeWalk.forPath(repo.meta().git(), SnapshotContent.IMAGES_FILE, c.getTree())) {
                return tw.getObjectId(0);
            }
        }
    }

    private void replace(ObjectId victim, ObjectId with) throws Exception {
        Path target = loose(victim);
        target.toFile().setWritable(true);
        Files.copy(loose(with), target, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anImagesBlobSwappedForItsParentsIsDamagedNotTheParentsImages() throws Exception {
        ObjectId victim = imagesBlob(head);
        replace(victim, imagesBlob(parent));
        try (Repository repo = Repository.open(dir)) {
            assertThatThrownBy(() -> repo.readSnapshot(head)).isInstanceOf(DamagedObjectException.class)
                    .hasMessageContaining(victim.name()).hasMessageContaining("does not match its id")
                    .hasMessageNotContaining("\n");
            assertThat(repo.readSnapshot(parent).content().images()).containsKey("ram"); // the rest still reads
            assertThat(repo.fsck().problems()).anyMatch(p -> p.object().equals("git object " + victim.name()));
            assertThatThrownBy(() -> repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {}))
                    .isInstanceOf(StoreException.class).hasMessageContaining("nothing deleted");
        }
    }

    @Test
    void aCommitSwappedForItsParentCannotRedirectAWalk() throws Exception {
        replace(ObjectId.fromString(head.hex()), ObjectId.fromString(parent.hex()));
        try (Repository repo = Repository.open(dir)) {
            assertThatThrownBy(() -> repo.readSnapshot(head)).isInstanceOf(DamagedObjectException.class)
                    .hasMessageContaining(head.hex());
            // main~1 would be "unknown" (the parent has no parent) if the swapped commit were believed
            assertThatThrownBy(() -> repo.resolve("main~1")).isInstanceOf(DamagedObjectException.class)
                    .hasMessageContaining(head.hex());
            assertThatThrownBy(() -> repo.resolve("main^")).isInstanceOf(DamagedObjectException.class);
            assertThat(repo.resolve(parent.hex())).contains(parent);
        }
    }

    @Test
    void stepsAfterARevisionAreWalkedAsGitDoes() {
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.resolve("main")).contains(head);
            assertThat(repo.resolve("main~1")).contains(parent);
            assertThat(repo.resolve("main^")).contains(parent);
            assertThat(repo.resolve("main^1")).contains(parent);
            assertThat(repo.resolve("main^0")).contains(head);
            assertThat(repo.resolve("main~0")).contains(head);
            assertThat(repo.resolve(head.hex().substring(0, 8) + "~")).contains(parent);
            assertThat(repo.resolve("main~2")).isEmpty();
            assertThat(repo.resolve("main^2")).isEmpty();
            assertThat(repo.resolve("nosuch~1")).isEmpty();
        }
    }
}
