package dev.vmtree.dom0.rv64;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.ExtraRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A persist whose state could not be named (the save failed after the pages were stored) leaves
 * those pages counted as changed, so the retry stores them again: a gc in between, which drops the
 * unnamed chunks, cannot leave the retried state naming chunks that are gone.
 */
class CoreMachinePersistTest {

    @Test
    void aSaveRetriedAfterAGcStoresEveryPageAgain(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("spin.bin"), new byte[] {0x6f, 0, 0, 0});   // j .
        Repository.init(dir.resolve("repo")).close();
        try (Repository repo = Repository.open(dir.resolve("repo"));
             MachineDriver.LiveMachine m = new CoreDriver().create(new MachineDriver.MachineSpec(16 << 20, 1, kernel,
                     MachineDriver.Boot.SUPERVISOR_ELF, null, null, 1 << 20, null, ""))) {
            byte[] mark = new byte[4096];
            java.util.Arrays.fill(mark, (byte) 0x5a);
            m.writeMemory(0x8040_0000L, mark);
            m.disk(0).write(65536, mark, 0, mark.length);
            try (WriteTransaction tx = repo.beginWrite()) {
                m.persist(tx, 0);           // stored and durable, but named by nothing: the save failed here
            }
            repo.gc(Duration.ZERO, Duration.ofSeconds(10), s -> {});
            WorkingState w;
            try (WriteTransaction tx = repo.beginWrite()) {
                w = m.persist(tx, 0);
                tx.registerRoot(new ExtraRoot("instance:t", List.copyOf(w.images().values()),
                        List.copyOf(w.files().values()), List.of()));
                m.persisted(w);
            }
            assertThat(repo.fsck().problems()).as("the retried state names only chunks that are there").isEmpty();
            Map<String, byte[]> files = new java.util.HashMap<>();
            w.files().forEach((n, id) -> files.put(n, repo.chunks().read(id)));
            try (MachineDriver.LiveMachine back = new CoreDriver().restore(repo,
                    new MachineDriver.StoredState(files, w.images()))) {
                assertThat(back.readMemory(0x8040_0000L, 4096)).isEqualTo(mark);
                byte[] b = new byte[4096];
                back.disk(0).read(65536, b, 0, b.length);
                assertThat(b).isEqualTo(mark);
            }
            // once confirmed, the next persist builds on it: nothing changed, nothing stored again
            try (WriteTransaction tx = repo.beginWrite()) {
                WorkingState again = m.persist(tx, 0);
                assertThat(again.images()).isEqualTo(w.images());
                assertThat(tx.chunks().newChunks()).isZero();
            }
        }
    }
}
