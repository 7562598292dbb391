package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.loader.Boot;
import java.nio.file.Files;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 14's exactness promise: the engine changes only speed. The same run under the interpreter,
 * the translator (background compilation, installed whenever it is ready) and eager translation
 * ends in one StateId, also when the run is cut into pieces run under different engines.
 */
class EnginesAgreeTest {
    static final long LENGTH = 30_000_000L;

    static Machine boot(String program, Engine engine) throws Exception {
        Machine m;
        if (program.equals("churn")) {
            m = ChurnRuns.boot(Console.NONE);
        } else {
            byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve(program + ".elf"));
            m = Boot.boot(new MachineConfig(64L << 20, 1, false, ""), Console.NONE, Boot.Images.of(elf));
            m.setInput(dev.vmtree.core.input.ExternalInput.NONE);
        }
        m.setEngine(engine);
        return m;
    }

    static String runWhole(String program, Engine engine) throws Exception {
        Machine m = boot(program, engine);
        RunResult r = m.run(LENGTH);
        assertThat(r.executed()).isPositive();
        if (engine == Engine.EAGER) {
            assertThat(m.memory().translationStats().installed()).as("regions installed").isPositive();
            assertThat(m.memory().translationStats().failures()).isZero();
        }
        return m.capture().stateId();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"churn", "bench-loop", "bench-mem", "rv64i", "c", "mmu", "smc"})
    void everyEngineEndsInTheSameStateId(String program) throws Exception {
        String interpreted = runWhole(program, Engine.INTERPRETER);
        assertThat(runWhole(program, Engine.EAGER)).as("eager").isEqualTo(interpreted);
        assertThat(runWhole(program, Engine.TRANSLATOR)).as("translator").isEqualTo(interpreted);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"churn", "bench-mem"})
    void aRunSplitAcrossEnginesEndsInTheSameStateId(String program) throws Exception {
        String interpreted = runWhole(program, Engine.INTERPRETER);
        Random random = new Random(14);
        long[] cuts = random.longs(40, 1, LENGTH).sorted().distinct().toArray();
        Machine m = boot(program, Engine.EAGER);
        Engine[] engines = Engine.values();
        long at = 0;
        for (long cut : cuts) {
            m.run(cut - at);
            at = cut;
            m.setEngine(engines[random.nextInt(engines.length)]);
        }
        m.run(LENGTH - at);
        assertThat(m.capture().stateId()).isEqualTo(interpreted);
    }
}
