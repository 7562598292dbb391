package dev.vmtree.dom0.rv64;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MachineDriver.LiveMachine#capture} takes the machine at one instant; the capture's
 * {@link MachineDriver.Capture#write}, later and on another thread while the machine runs on,
 * stores exactly that instant: the same working state (StateId, images, files, ReplayLog) a
 * {@code persist} at that instant stores. guests/bin/churn.elf scrambles RAM all the time, so the
 * machine's pages change under the write.
 */
class CoreMachineCaptureTest {
    static final Path CHURN = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/churn.elf");
    static final long MARK = 0x80f0_0000L;
    static final long BEFORE = 3_000_000, AFTER = 2_000_000;

    @TempDir
    Path dir;
    Repository repo;
    ExecutorService other;

    @BeforeEach
    void open() {
        Repository.init(dir.resolve("repo")).close();
        repo = Repository.open(dir.resolve("repo"));
        other = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void close() throws InterruptedException {
        other.shutdownNow();
        other.awaitTermination(1, TimeUnit.MINUTES);
        repo.close();
    }

    /** Input never comes, output is dropped: two machines made alike run alike. */
    static final MachineDriver.Console QUIET = new MachineDriver.Console() {
        @Override
        public int poll() {
            return NONE;
        }

        @Override
        public void write(byte[] b, int off, int len) {}
    };

    static MachineDriver.LiveMachine churn() {
        return new CoreDriver().create(new MachineDriver.MachineSpec(32 << 20, 1, CHURN,
                MachineDriver.Boot.SUPERVISOR_ELF, null, null, 1 << 20, null, ""));
    }

    static byte[] filled(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** Runs exactly {@code n} instructions of the never-ending guest. */
    static void run(MachineDriver.LiveMachine m, long n) {
        MachineDriver.RunOutcome out = m.run(n, QUIET);
        assertThat(out.cause()).isEqualTo(MachineDriver.StopCause.BUDGET);
        assertThat(out.instructions()).isEqualTo(n);
    }

    /** The edits from outside made before the capture, on both machines alike: a RAM page and a disk block. */
    static void editBefore(MachineDriver.LiveMachine m) {
        m.writeMemory(MARK, filled(0x11));
        m.disk(0).write(65536, filled(0x12), 0, 4096);
        m.recordDiskWrite(0, 65536, 4096);
    }

    /** Edits after the capture, to the very pages edited before it, so a write reading live pages shows. */
    static void editAfter(MachineDriver.LiveMachine m) {
        m.writeMemory(MARK, filled(0x21));
        m.disk(0).write(65536, filled(0x22), 0, 4096);
        m.recordDiskWrite(0, 65536, 4096);
    }

    WorkingState persist(MachineDriver.LiveMachine m, long since) {
        try (WriteTransaction tx = repo.beginWrite()) {
            WorkingState w = m.persist(tx, since);
            tx.flush();
            return w;
        }
    }

    CompletableFuture<WorkingState> writeOnOtherThread(MachineDriver.Capture c) {
        return CompletableFuture.supplyAsync(() -> {
            try (WriteTransaction tx = repo.beginWrite()) {
                WorkingState w = c.write(tx);
                tx.flush();
                return w;
            }
        }, other);
    }

    @Test
    void aCaptureWrittenAfterTheMachineRanOnStoresTheStateOfItsInstant() throws Exception {
        try (MachineDriver.LiveMachine m = churn(); MachineDriver.LiveMachine twin = churn()) {
            for (MachineDriver.LiveMachine x : new MachineDriver.LiveMachine[] {m, twin}) {
                run(x, BEFORE);
                editBefore(x);
            }
            MachineDriver.Capture c = m.capture(BEFORE);
            assertThat(c.instructions()).isEqualTo(BEFORE);
            run(m, AFTER);
            editAfter(m);
            WorkingState written = writeOnOtherThread(c).get(2, TimeUnit.MINUTES);
            WorkingState direct = persist(twin, BEFORE);

            assertThat(written.stateId()).isEqualTo(direct.stateId());
            assertThat(written.images()).isEqualTo(direct.images());
            assertThat(written.files()).as("state, definition and the ReplayLog up to the capture").isEqualTo(direct.files());
            assertThat(written.instructionsSinceBase()).isEqualTo(BEFORE);

            // confirmed later: what the machine did after the capture stays to be stored
            long dirtyBefore = m.dirtyPages();
            m.persisted(written);
            twin.persisted(direct);
            assertThat(m.dirtyPages()).as("pages written after the capture stay dirty, the rest are clean")
                    .isPositive().isLessThan(dirtyBefore);
            run(twin, AFTER);
            editAfter(twin);
            WorkingState mNext = persist(m, BEFORE + AFTER);
            WorkingState twinNext = persist(twin, BEFORE + AFTER);
            assertThat(mNext.stateId()).isEqualTo(twinNext.stateId());
            assertThat(mNext.images()).isEqualTo(twinNext.images());
        }
    }

    @Test
    void aWriteOnAnotherThreadWhileTheMachineRunsStoresTheCapturedState() throws Exception {
        try (MachineDriver.LiveMachine m = churn(); MachineDriver.LiveMachine twin = churn()) {
            for (MachineDriver.LiveMachine x : new MachineDriver.LiveMachine[] {m, twin}) {
                run(x, BEFORE);
                editBefore(x);
            }
            long[] ran = {0};
            MachineDriver.Capture c = m.capture(BEFORE);
            CompletableFuture<WorkingState> write = writeOnOtherThread(c);
            do {
                run(m, 100_000);     // the guest scrambles its RAM while the capture is written
                ran[0] += 100_000;
            } while (!write.isDone() || ran[0] < 1_000_000);
            editAfter(m);
            WorkingState written = write.get(2, TimeUnit.MINUTES);
            WorkingState direct = persist(twin, BEFORE);
            assertThat(written.stateId()).isEqualTo(direct.stateId());
            assertThat(written.files()).isEqualTo(direct.files());
            assertThat(written.images()).isEqualTo(direct.images());

            // the written state restores to the machine of the capture instant
            MachineDriver.StoredState stored = CoreDriverEngineTest.stored(repo, written);
            CoreDriver driver = new CoreDriver();
            assertThat(driver.stateId(stored)).isEqualTo(direct.stateId());
            try (MachineDriver.LiveMachine back = driver.restore(repo, stored)) {
                assertThat(back.instructions()).isEqualTo(BEFORE);
                assertThat(back.readMemory(MARK, 4096)).isEqualTo(filled(0x11));
                byte[] block = new byte[4096];
                back.disk(0).read(65536, block, 0, block.length);
                assertThat(block).isEqualTo(filled(0x12));
                run(back, AFTER);
                run(twin, AFTER);
                StateId backId = persist(back, BEFORE + AFTER).stateId();
                assertThat(backId).isEqualTo(persist(twin, BEFORE + AFTER).stateId());
            }

            // the machine that ran on during the write confirms it and stores the rest later
            m.persisted(written);
            assertThat(m.dirtyPages()).isPositive();
            WorkingState later = persist(m, BEFORE + ran[0]);
            try (MachineDriver.LiveMachine back = driver.restore(repo, CoreDriverEngineTest.stored(repo, later))) {
                assertThat(back.instructions()).isEqualTo(BEFORE + ran[0]);
                assertThat(back.readMemory(MARK, 4096)).isEqualTo(filled(0x21));
                assertThat(driver.stateId(CoreDriverEngineTest.stored(repo, later))).isEqualTo(later.stateId());
            }
        }
    }

    @Test
    void aLateWriteOfAnOlderCaptureIsNotConfirmedOverANewerOne() throws Exception {
        try (MachineDriver.LiveMachine m = churn()) {
            run(m, BEFORE);
            MachineDriver.Capture older = m.capture(BEFORE);
            run(m, AFTER);
            editBefore(m);
            MachineDriver.Capture newer = m.capture(BEFORE + AFTER);
            WorkingState n = writeOnOtherThread(newer).get(2, TimeUnit.MINUTES);
            m.persisted(n);
            WorkingState o = writeOnOtherThread(older).get(2, TimeUnit.MINUTES);
            m.persisted(o);   // too late: must not take the machine back to the older images
            assertThat(m.dirtyPages()).isZero();
            WorkingState again = persist(m, BEFORE + AFTER);
            assertThat(again.images()).as("nothing changed since the newer capture").isEqualTo(n.images());
            assertThat(again.stateId()).isEqualTo(n.stateId());
        }
    }
}
