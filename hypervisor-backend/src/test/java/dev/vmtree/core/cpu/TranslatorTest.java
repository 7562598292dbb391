package dev.vmtree.core.cpu;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.TestMachines;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The translator's own mechanics on small machine-mode programs: what runs translated, what a full
 * region table does, what no plan may break. Each program runs under the interpreter and under
 * eager translation (every entry translated at once) and must end in the same StateId.
 */
class TranslatorTest {

    static Machine run(Consumer<Asm> program, Engine engine, Consumer<Translator> setUp) {
        Asm a = new Asm();
        program.accept(a);
        Machine m = TestMachines.bare(a, Console.NONE);
        m.setEngine(engine);
        if (engine != Engine.INTERPRETER) {
            setUp.accept(m.memory().translator);
        }
        RunResult r = m.run(20_000_000);
        assertThat(r.reason()).as("%s", engine).isNotEqualTo(StopReason.BUDGET_EXHAUSTED);
        return m;
    }

    static Translator.Stats agree(Consumer<Asm> program, Consumer<Translator> setUp) {
        Machine interpreted = run(program, Engine.INTERPRETER, t -> {});
        Machine translated = run(program, Engine.EAGER, setUp);
        assertThat(translated.hart(0).reg(A0)).isEqualTo(interpreted.hart(0).reg(A0));
        assertThat(translated.capture().stateId()).isEqualTo(interpreted.capture().stateId());
        Translator.Stats s = translated.memory().translationStats();
        assertThat(s.failures()).isZero();
        assertThat(s.installed()).isPositive();
        return s;
    }

    /** Three functions on pages of their own, called in a loop: every call and return crosses pages. */
    static void calls(Asm a) {
        a.li(A0, 0).li(A1, 3).li(S0, 0).li(S1, 20_000);
        a.label("loop").jal(RA, "f1").jal(RA, "f2").jal(RA, "f3").addi(S0, S0, 1).bne(S0, S1, "loop");
        TestMachines.pass(a);
        a.org(0x1000).label("f1").add(A0, A0, A1).jalr(ZERO, RA, 0);
        a.org(0x2000).label("f2").addi(A0, A0, -1).jalr(ZERO, RA, 0);
        a.org(0x3000).label("f3").xori(A0, A0, 0x55).jalr(ZERO, RA, 0);
    }

    @Test
    void aStraightRunLongerThanAnyMethodStillTranslates() {
        // 1000 adds in one page: one block would compile to far more than HotSpot's 8000 bytes
        agree(a -> {
            a.li(A0, 0).li(A1, 7).li(S0, 0).li(S1, 30);
            a.label("top");
            for (int i = 0; i < 1000; i++) {
                a.add(A0, A0, A1);
            }
            a.addi(S0, S0, 1).bne(S0, S1, "top");
            TestMachines.pass(a);
        }, t -> {});
    }

    @Test
    void aFullRegionTableIsFlushedAndRunsOnExactly() {
        Translator.Stats s = agree(TranslatorTest::calls, t -> t.limitLive(2));
        assertThat(s.flushes()).as("full flushes").isPositive();
        assertThat(s.live()).isLessThanOrEqualTo(2);
    }

    @Test
    void callsAcrossPagesRunTranslatedAndChain() {
        Translator.Stats s = agree(TranslatorTest::calls, t -> {});
        assertThat(s.dropped()).isZero();
        assertThat(s.live()).isEqualTo((int) s.installed());
    }

    @Test
    void switchingBackToTheInterpreterRemovesEveryTranslation() {
        Asm a = new Asm();
        calls(a);
        Machine m = TestMachines.bare(a, Console.NONE);
        m.setEngine(Engine.EAGER);
        m.run(10_000);
        assertThat(m.memory().translationStats().live()).isPositive();
        m.setEngine(Engine.INTERPRETER);
        assertThat(m.memory().translationStats()).isNull();
        m.run(20_000_000);
        Machine reference = run(TranslatorTest::calls, Engine.INTERPRETER, t -> {});
        assertThat(m.capture().stateId()).isEqualTo(reference.capture().stateId());
    }
}
