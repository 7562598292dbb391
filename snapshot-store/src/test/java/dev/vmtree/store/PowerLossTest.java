package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.fs.SimulatedDisk;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Power loss at random moments through the file-layer double: every write not yet fsynced (and
 * every directory change not yet fsynced) is dropped. Afterwards fsck passes and every snapshot
 * whose commit returned reads back. SIGKILL cannot test this: the page cache survives it.
 */
class PowerLossTest {
    @TempDir
    Path dir;

    @Test
    void powerLossAtRandomMomentsLosesNoCommittedSnapshot() {
        SimulatedDisk disk = new SimulatedDisk();
        Repository.init(dir, disk).close();
        Map<Long, SnapshotId> committed = new TreeMap<>();
        Random r = new Random(11);
        long seed = 0;
        int losses = 0;
        for (int round = 0; round < 60; round++) {
            long roundStart = seed;
            disk.armAfter(1 + r.nextInt(60));
            try (Repository repo = Repository.open(dir, disk)) {
                while (true) {
                    SnapshotId id;
                    try (WriteTransaction tx = repo.beginWrite()) {
                        id = SnapshotWorkload.write(repo, tx, seed);
                    }
                    committed.put(seed++, id);
                    if (seed % 4 == 0) {
                        repo.gc(Duration.ZERO, Duration.ofSeconds(5), m -> {});
                    }
                }
            } catch (RuntimeException e) {
                assertThat(disk.lost()).as("failure other than the power loss: %s", e).isTrue();
                losses++;
            }
            seed++;
            disk.powerCycle();
            boolean full = round % 10 == 9;
            try (Repository repo = Repository.open(dir, disk)) {
                if (full) {
                    assertThat(repo.fsck().problems()).isEmpty();
                }
                // Every round checks what it committed; every tenth checks everything.
                committed.forEach((s, id) -> {
                    if (full || s >= roundStart) {
                        SnapshotWorkload.verify(repo, id, s);
                    }
                });
            }
        }
        assertThat(losses).isEqualTo(60);
        assertThat(committed).hasSizeGreaterThan(20);
    }
}
