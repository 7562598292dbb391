package dev.vmtree.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.input.ExternalInput;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The tests run under the engine their surefire execution asked for. {@code mvn verify} runs the
 * tests tagged {@code engines} twice (pom.xml, execution {@code engine-eager}, and docs/core.md,
 * "Testing"); this one is tagged too, so the eager run fails here if its machines quietly use the
 * interpreter.
 */
@Tag("engines")
class SuiteEngineTest {
    /** The system property a surefire execution names its engine in (the default execution does not). */
    static final String EXPECTED = "vmtree.test.engine";

    /** The engine this run was configured with: {@value #EXPECTED}, else this JVM's default. */
    static Engine configured() {
        String v = System.getProperty(EXPECTED);
        return v == null ? Engine.fromEnvironment() : Engine.parse(v);
    }

    @Test
    void aNewMachineAndARestoredOneRunUnderTheConfiguredEngine() throws Exception {
        Engine engine = configured();
        Machine m = BreakpointTest.planted();
        assertThat(m.engine()).isEqualTo(engine);
        assertThat(m.run(-1).reason()).isEqualTo(StopReason.SHUTDOWN);
        switch (engine) {
            case INTERPRETER -> assertThat(m.memory().translationStats()).isNull();
            case TRANSLATOR -> assertThat(m.memory().translationStats().requests()).as("regions asked for").isPositive();
            case EAGER -> {
                assertThat(m.memory().translationStats().installed()).as("regions installed").isPositive();
                assertThat(m.memory().translationStats().failures()).as("regions that failed to compile").isZero();
            }
        }
        assertThat(Machine.restore(m.capture(), Console.NONE, ExternalInput.NONE).engine()).isEqualTo(engine);
    }
}
