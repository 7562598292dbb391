package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RefsAndLockTest {
    @TempDir
    Path dir;

    private static SnapshotContent content(WriteTransaction tx, long seed) {
        PageTreeRoot r = tx.buildTree(8 * 4096L, 4096, i -> SnapshotWorkload.page(seed, i));
        return SnapshotContent.ofImages(Map.of("ram", r));
    }

    @Test
    void aStaleRefUpdateIsAResultNotAnException() {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            SnapshotId one = tx.commit("main", content(tx, 1), "one").snapshot();
            SnapshotId two = tx.writeSnapshot(List.of(one), content(tx, 2), "two");
            RefResult stale = tx.updateRef("main", two, two, "expects the wrong old value");
            assertThat(stale.status()).isEqualTo(RefResult.Status.STALE);
            assertThat(stale.ok()).isFalse();
            assertThat(repo.resolveRef("main")).contains(one);
            assertThat(tx.updateRef("main", one, two, "move").status()).isEqualTo(RefResult.Status.FAST_FORWARD);
            assertThat(tx.updateRef("refs/tags/golden", null, one, "tag").status()).isEqualTo(RefResult.Status.CREATED);
            assertThat(tx.updateRef("refs/tags/golden", null, two, "tag again").status()).isEqualTo(RefResult.Status.STALE);
            assertThat(repo.reflog("main")).extracting(Repository.ReflogEntry::newId).containsExactly(two, one);
        }
    }

    @Test
    void copyRefCarriesTheWholeReflogAndChangesNothingWhenRefused() throws Exception {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            SnapshotId one = tx.commit("main", content(tx, 1), "one").snapshot();
            SnapshotId two = tx.commit("main", content(tx, 2), "two").snapshot();
            assertThat(tx.updateRef("main", two, one, "rollback").ok()).isTrue();
            List<Repository.ReflogEntry> before = repo.reflog("main");

            RefResult copied = tx.copyRef("main", "refs/heads/trunk", one, "branch: renamed main to trunk");
            assertThat(copied.status()).isEqualTo(RefResult.Status.CREATED);
            List<Repository.ReflogEntry> after = repo.reflog("trunk");
            assertThat(after).hasSize(before.size() + 1);
            assertThat(after.getFirst().message()).isEqualTo("branch: renamed main to trunk");
            assertThat(after.subList(1, after.size())).isEqualTo(before);
            assertThat(repo.reflog("main")).isEqualTo(before);

            assertThat(tx.copyRef("main", "trunk", one, "again").status()).isEqualTo(RefResult.Status.STALE);
            assertThat(repo.reflog("trunk")).isEqualTo(after);
            assertThat(tx.copyRef("main", "trunk/sub", one, "clash").status()).isEqualTo(RefResult.Status.REJECTED);
            assertThat(repo.refs()).containsOnlyKeys("refs/heads/main", "refs/heads/trunk");
            assertThat(dir.resolve(".vmtree/meta.git/logs/refs/heads/trunk")).isRegularFile();
            // plain git reads the copied log as its own
            try {
                Process p = new ProcessBuilder("git", "--git-dir=" + dir.resolve(".vmtree/meta.git"), "reflog", "show",
                        "--format=%gs", "trunk").start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor()).isZero();
                assertThat(out.lines().toList()).hasSize(after.size()).first().isEqualTo("branch: renamed main to trunk");
            } catch (java.io.IOException e) {
                assumeTrue(!"true".equals(System.getenv("CI")), "git is required in CI");
            }
        }
    }

    @Test
    void plainGitShowsTheHistoryWithoutWarnings() throws Exception {
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            SnapshotId one = tx.commit("main", content(tx, 1), "first snapshot").snapshot();
            SnapshotId two = tx.writeSnapshot(List.of(one), content(tx, 2), "on a branch");
            tx.updateRef("feature", null, two, "branch");
        }
        Process p;
        try {
            p = new ProcessBuilder("git", "--git-dir=" + dir.resolve(".vmtree/meta.git"), "log", "--graph", "--all",
                    "--format=%s").start();
        } catch (java.io.IOException e) {
            assumeTrue(!"true".equals(System.getenv("CI")), "git is required in CI");
            assumeTrue(false, "git is not installed");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(err).isEmpty();
        assertThat(out).contains("* on a branch").contains("* first snapshot");
    }

    @Test
    void aSecondWriterWaitsThenGivesUpWithAClearMessage() throws Exception {
        Repository.init(dir).close();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            try (Repository repo = Repository.open(dir); WriteTransaction tx = repo.beginWrite()) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        List<String> heard = new ArrayList<>();
        try (Repository repo = Repository.open(dir)) {
            assertThatThrownBy(() -> repo.beginWrite(Duration.ofMillis(200), heard::add))
                    .isInstanceOf(StoreException.class).hasMessageContaining("busy")
                    .hasMessageContaining(dir.resolve(".vmtree/lock").toString());
            assertThat(heard).singleElement().asString().contains("waiting").contains("pid " + ProcessHandle.current().pid());
            release.countDown();
            holder.join();
            try (WriteTransaction tx = repo.beginWrite(Duration.ofSeconds(5), heard::add)) {
                assertThat(tx).isNotNull();
            }
        }
    }

    /** In one JVM (the daemon) a writer that reaches the repository through a symlink waits too, never fails. */
    @Test
    void aWriterReachingTheRepositoryByAnotherPathWaitsForTheOneHoldingIt() throws Exception {
        Repository.init(dir.resolve("real")).close();
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            try (Repository repo = Repository.open(dir.resolve("real")); WriteTransaction tx = repo.beginWrite()) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Repository repo = Repository.open(link)) {
            Thread.ofPlatform().start(() -> {
                while (heard.isEmpty()) {
                    Thread.onSpinWait();
                }
                release.countDown();
            });
            try (WriteTransaction tx = repo.beginWrite(Duration.ofSeconds(30), heard::add)) {
                assertThat(tx).isNotNull();
            }
            holder.join();
            assertThat(heard).singleElement().asString().contains("waiting").contains("pid " + ProcessHandle.current().pid());
        }
    }
}
