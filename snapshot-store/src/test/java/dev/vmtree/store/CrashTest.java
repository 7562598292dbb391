package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM writing snapshots (and running gc) is SIGKILLed at random moments 50 times; after
 * every tenth kill and at the end fsck passes and every snapshot the child acknowledged reads back.
 */
class CrashTest {
    @TempDir
    Path dir;

    @Test
    void sigkillAtRandomMomentsLosesNoAcknowledgedSnapshot() throws Exception {
        Repository.init(dir).close();
        Map<Long, SnapshotId> committed = new TreeMap<>();
        Random r = new Random(7);
        long seed = 0;
        for (int kill = 0; kill < 50; kill++) {
            ChildJvm child = ChildJvm.start(dir, seed, 1_000_000);
            Process p = child.process;
            child.awaitReady();
            Thread.sleep(r.nextInt(700));
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            child.readCommitted(committed);
            seed = committed.isEmpty() ? seed + 1000 : Math.max(seed + 1000, committed.keySet().stream().max(Long::compare).get() + 1);
            if (kill % 10 == 9) {
                checkAll(committed);
            }
        }
        assertThat(committed).hasSizeGreaterThan(10);
        checkAll(committed);
    }

    private void checkAll(Map<Long, SnapshotId> committed) {
        try (Repository repo = Repository.open(dir)) {
            FsckReport report = repo.fsck();
            assertThat(report.problems()).isEmpty();
            committed.forEach((seed, id) -> SnapshotWorkload.verify(repo, id, seed));
        }
    }
}
