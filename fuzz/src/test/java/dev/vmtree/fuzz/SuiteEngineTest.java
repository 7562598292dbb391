package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.cpu.Engine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The tests run under the engine their surefire execution asked for, and so do the JVMs they start
 * (DeterminismTest's second JVM, bin/vmtree): {@code mvn verify} runs the tests tagged
 * {@code engines} twice (pom.xml, execution {@code engine-eager}; docs/core.md, "Testing"). This one
 * is tagged too, so the eager run fails here if a machine in it or in a child JVM quietly
 * interprets.
 */
@Tag("engines")
class SuiteEngineTest {
    /** The system property a surefire execution names its engine in (the default execution does not). */
    static final String EXPECTED = "vmtree.test.engine";

    /** The engine of this JVM's machines: {@value #EXPECTED}, else this JVM's default. */
    static Engine here() {
        String v = System.getProperty(EXPECTED);
        return v == null ? Engine.fromEnvironment() : Engine.parse(v);
    }

    /** The engine of a JVM started without flags: {@value #EXPECTED}, else {@code VMTREE_ENGINE}'s. */
    static Engine inChildren() {
        String v = System.getProperty(EXPECTED);
        if (v == null) {
            v = System.getenv(Engine.ENVIRONMENT);
        }
        return v == null || v.isBlank() ? Engine.DEFAULT : Engine.parse(v);
    }

    /** Two million instructions of churn; returns the engine and how many regions were installed (-1: none kept). */
    static String churn() {
        Machine m = ChurnRuns.boot(Console.NONE);
        ChurnRuns.run(m, 2_000_000);
        long installed = m.memory().translationStats() == null ? -1 : m.memory().translationStats().installed();
        return m.engine().label() + " " + installed;
    }

    static void check(String run, Engine engine) {
        String[] words = run.split(" ");
        assertThat(words).as(run).hasSize(2);
        assertThat(words[0]).as("engine").isEqualTo(engine.label());
        long installed = Long.parseLong(words[1]);
        switch (engine) {
            case INTERPRETER -> assertThat(installed).as("no translator").isEqualTo(-1);
            case TRANSLATOR -> assertThat(installed).as("a translator").isNotNegative();
            case EAGER -> assertThat(installed).as("regions installed").isPositive();
        }
    }

    @Test
    void machinesHereRunUnderTheConfiguredEngine() {
        check(churn(), here());
    }

    @Test
    void aChildJvmRunsUnderItToo() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dvmtree.project.root=" + OutsideTools.projectRoot(), SuiteEngineTest.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        check(out, inChildren());
    }

    /** Child JVM: prints {@link #churn()}. */
    public static void main(String[] args) {
        System.out.println(churn());
    }
}
