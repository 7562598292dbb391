package dev.vmtree.core.debug;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.input.LiveInput;
import org.junit.jupiter.api.Test;

/**
 * A debugging session keeps the engine it was given: the machines it restores to go back in time
 * (and the one it starts on) run under the engine of the machine handed to it, not the
 * environment's default, so {@code vmtree debug --engine} holds for the whole session.
 */
class TimeTravelEngineTest {

    /** Any engine other than the environment's default, so that a machine falling back to it shows. */
    static Engine notTheDefault() {
        return Engine.fromEnvironment() == Engine.EAGER ? Engine.TRANSLATOR : Engine.EAGER;
    }

    @Test
    void restoredMachinesKeepTheSessionsEngine() throws Exception {
        Engine chosen = notTheDefault();
        Machine m = GdbServerTest.planted();
        m.setEngine(chosen);
        TimeTravel t = new TimeTravel(m, Console.NONE, new LiveInput(Console.NONE), 64);
        assertThat(t.machine()).isNotSameAs(m);
        assertThat(t.machine().engine()).isEqualTo(chosen);
        for (int i = 0; i < 200; i++) {
            t.step();
        }
        long at = t.now();
        assertThat(t.reverseStep().stop()).isEqualTo(TimeTravel.Stop.STEPPED);
        assertThat(t.now()).isEqualTo(at - 1);
        assertThat(t.machine().engine()).as("after going back to a checkpoint").isEqualTo(chosen);
    }
}
