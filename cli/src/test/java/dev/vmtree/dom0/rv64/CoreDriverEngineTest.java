package dev.vmtree.dom0.rv64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.cpu.Engine;
import dev.vmtree.dom0.EngineChoice;
import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver puts every machine it makes under its engine (created, restored, replayed), the
 * toolstack hands it the engine a command chose, and nothing of the engine reaches what is stored:
 * the same run under two engines persists to the very same chunks.
 */
class CoreDriverEngineTest {
    static final Path HELLO = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");

    @TempDir
    Path dir;

    /** Two engines, neither the environment's default, so that a machine left on the default shows. */
    static Engine[] twoOthers() {
        Engine d = Engine.fromEnvironment();
        return java.util.Arrays.stream(Engine.values()).filter(e -> e != d).toArray(Engine[]::new);
    }

    static MachineDriver.MachineSpec hello() {
        return new MachineDriver.MachineSpec(16 << 20, 1, HELLO, MachineDriver.Boot.SUPERVISOR_ELF, null, null, 0, null, "");
    }

    static Engine engineOf(MachineDriver.LiveMachine m) {
        return ((CoreMachine) m).machine().engine();
    }

    static MachineDriver.StoredState stored(Repository repo, WorkingState w) {
        Map<String, byte[]> files = new HashMap<>();
        w.files().forEach((n, id) -> files.put(n, repo.chunks().read(id)));
        return new MachineDriver.StoredState(files, w.images());
    }

    @Test
    void createdRestoredAndReplayedMachinesRunUnderTheDriversEngine() {
        Engine[] e = twoOthers();
        Repository.init(dir.resolve("repo")).close();
        try (Repository repo = Repository.open(dir.resolve("repo"))) {
            WorkingState start, end;
            try (MachineDriver.LiveMachine m = new CoreDriver(e[0]).create(hello())) {
                assertThat(engineOf(m)).isEqualTo(e[0]);
                try (WriteTransaction tx = repo.beginWrite()) {
                    start = m.persist(tx, 0);
                    tx.flush();
                }
                m.persisted(start);
                assertThat(m.run(MachineValues.NO_LIMIT, MachineDriver.Console.DISCARD).cause())
                        .isEqualTo(MachineDriver.StopCause.POWER_OFF);
                try (WriteTransaction tx = repo.beginWrite()) {
                    end = m.persist(tx, m.instructions());
                    tx.flush();
                }
            }
            CoreDriver other = new CoreDriver(e[1]);
            try (MachineDriver.LiveMachine back = other.restore(repo, stored(repo, start))) {
                assertThat(engineOf(back)).isEqualTo(e[1]);
            }
            try (MachineDriver.Replay r = other.replay(repo, stored(repo, start), stored(repo, end))) {
                assertThat(engineOf(r)).isEqualTo(e[1]);
                r.replayTo(end.instructionsSinceBase(), MachineDriver.Replay.NO_PC, MachineDriver.Console.DISCARD);
                assertThat(r.divergence()).isNull();
                try (WriteTransaction tx = repo.beginWrite()) {
                    assertThat(r.persist(tx, end.instructionsSinceBase()).stateId())
                            .as("a replay under another engine reaches the same state").isEqualTo(end.stateId());
                }
            }
        }
    }

    @Test
    void theSameRunUnderTwoEnginesStoresTheSameChunks() {
        Repository.init(dir.resolve("repo")).close();
        try (Repository repo = Repository.open(dir.resolve("repo"))) {
            WorkingState[] saved = new WorkingState[2];
            StringBuilder[] output = {new StringBuilder(), new StringBuilder()};
            Engine[] engines = {Engine.INTERPRETER, Engine.EAGER};
            for (int i = 0; i < 2; i++) {
                StringBuilder out = output[i];
                try (MachineDriver.LiveMachine m = new CoreDriver(engines[i]).create(hello())) {
                    m.run(MachineValues.NO_LIMIT, new MachineDriver.Console() {
                        @Override
                        public int poll() {
                            return END;
                        }

                        @Override
                        public void write(byte[] b, int off, int len) {
                            out.append(new String(b, off, len, StandardCharsets.ISO_8859_1));
                        }
                    });
                    try (WriteTransaction tx = repo.beginWrite()) {
                        saved[i] = m.persist(tx, m.instructions());
                        tx.flush();
                    }
                }
            }
            assertThat(output[0].toString()).contains("Hello from a vmtree guest").isEqualTo(output[1].toString());
            // content-addressed: equal chunk ids are equal bytes, in the state, the definition and the log alike
            assertThat(saved[1]).isEqualTo(saved[0]);
            for (var id : saved[0].files().values()) {
                String text = new String(repo.chunks().read(id), StandardCharsets.ISO_8859_1).toLowerCase();
                assertThat(text).doesNotContain("interpreter").doesNotContain("eager").doesNotContain("engine");
            }
        }
    }

    @Test
    void theToolstackGivesItsDriverTheChosenEngine() {
        Engine chosen = twoOthers()[0];
        try (Toolstack ts = Toolstack.init(dir.resolve("repo"))) {
            ts.useEngine(new EngineChoice(chosen.label(), "--engine"));
            assertThat(((CoreDriver) ts.machines().driver()).engine()).isEqualTo(chosen);
            assertThatThrownBy(() -> ts.useEngine(new EngineChoice(Engine.INTERPRETER.label(), "--engine")))
                    .isInstanceOf(IllegalStateException.class);
        }
        try (Toolstack ts = Toolstack.open(dir.resolve("repo"))) {
            assertThat(((CoreDriver) ts.machines().driver()).engine()).as("without a choice: the environment's")
                    .isEqualTo(Engine.fromEnvironment());
        }
    }
}
