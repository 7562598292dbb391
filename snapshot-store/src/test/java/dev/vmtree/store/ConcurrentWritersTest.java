package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two processes and two threads write (and gc) one repository at once; nothing is lost or corrupt. */
class ConcurrentWritersTest {
    @TempDir
    Path dir;

    @Test
    void twoProcessesAndTwoThreadsWritingAtOnceNeverCorrupt() throws Exception {
        Repository.init(dir).close();
        ChildJvm ca = ChildJvm.start(dir, 0, 6);
        ChildJvm cb = ChildJvm.start(dir, 100, 6);
        Process a = ca.process;
        Process b = cb.process;
        Map<Long, SnapshotId> committed = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            long first = 200 + 100L * t;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Repository repo = Repository.open(dir)) {
                    for (long s = first; s < first + 4; s++) {
                        try (WriteTransaction tx = repo.beginWrite()) {
                            committed.put(s, SnapshotWorkload.write(repo, tx, s));
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(a.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(a.exitValue()).isZero();
        assertThat(b.exitValue()).isZero();
        ca.readCommitted(committed);
        cb.readCommitted(committed);
        assertThat(committed).hasSize(20);
        try (Repository repo = Repository.open(dir)) {
            assertThat(repo.fsck().problems()).isEmpty();
            committed.forEach((s, id) -> SnapshotWorkload.verify(repo, id, s));
        }
    }
}
