package dev.vmtree.core;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.cpu.Trap;
import org.junit.jupiter.api.Test;

/** Issue 12 item 15: a hart that traps to a vector which faults itself stops the run, deterministically. */
class TrapLoopTest {

    @Test
    void anIllegalInstructionWithNoTrapHandlerStopsTheRunNamingHartCauseAndCount() {
        Asm a = new Asm();
        a.addi(T0, ZERO, 5).word(0);       // mtvec is 0: the trap goes to address 0, where nothing can be fetched
        Machine m = TestMachines.bare(a, Console.NONE);
        RunResult r = m.run(20_000_000);
        assertThat(r.reason()).isEqualTo(StopReason.TRAP_LOOP);
        assertThat(r.detail()).isZero();
        assertThat(r.executed()).as("stops within a few instructions, not at the budget").isLessThan(10);
        TrapLoop t = m.trapLoop();
        assertThat(t.hart()).isZero();
        assertThat(t.cause()).isEqualTo(Trap.FETCH_ACCESS);
        assertThat(t.pc()).isZero();
        assertThat(t.privilege()).isEqualTo(3);
        assertThat(t.describe()).contains("hart 0").contains("instruction access fault").contains("M-mode trap vector 0x0");
        assertThat(m.hart(0).pc()).isZero();
    }

    @Test
    void aVectorPointingAtGarbageInRamIsStuckToo() {
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x100).csrw(0x305, T0).word(0);
        a.org(0x100).word(0xFFFF_FFFF);     // the "handler" is an illegal instruction
        Machine m = TestMachines.bare(a, Console.NONE);
        RunResult r = m.run(20_000_000);
        assertThat(r.reason()).isEqualTo(StopReason.TRAP_LOOP);
        assertThat(m.trapLoop().cause()).isEqualTo(Trap.ILLEGAL_INSTRUCTION);
        assertThat(m.trapLoop().pc()).isEqualTo(TestMachines.CODE + 0x100);
    }

    @Test
    void aHandlerThatRunsIsNotStuckEvenWhenEveryInstructionTraps() {
        // every other instruction is illegal and the handler skips it: many traps, all making progress
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x200).csrw(0x305, T0).li(S1, 1000);
        a.label("loop").word(0).addi(S1, S1, -1).bne(S1, ZERO, "loop");
        TestMachines.pass(a);
        a.org(0x200).csrr(T1, 0x341).addi(T1, T1, 4).csrw(0x341, T1).mret();
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(m.run(10_000_000).reason()).isEqualTo(StopReason.SHUTDOWN);
    }

    @Test
    void theStopPointDoesNotDependOnHowTheRunIsSplit() {
        Asm a = new Asm();
        a.li(S1, 3000).label("spin").addi(S1, S1, -1).bne(S1, ZERO, "spin").word(0);
        Machine whole = TestMachines.bare(a, Console.NONE);
        RunResult one = whole.run(20_000_000);
        assertThat(one.reason()).isEqualTo(StopReason.TRAP_LOOP);
        for (int step : new int[] {1, 7, 4096, 5001}) {
            Machine split = TestMachines.bare(a, Console.NONE);
            RunResult r;
            do {
                r = split.run(step);
            } while (r.reason() == StopReason.BUDGET_EXHAUSTED && split.instructions() < 20_000_000);
            assertThat(r.reason()).isEqualTo(StopReason.TRAP_LOOP);
            assertThat(split.instructions()).as("split every %d", step).isEqualTo(whole.instructions());
            assertThat(split.executionState()).isEqualTo(whole.executionState());
        }
        // a later run goes on and finds it stuck again at once
        RunResult again = whole.run(20_000_000);
        assertThat(again.reason()).isEqualTo(StopReason.TRAP_LOOP);
        assertThat(again.executed()).isLessThanOrEqualTo(1);
    }
}
