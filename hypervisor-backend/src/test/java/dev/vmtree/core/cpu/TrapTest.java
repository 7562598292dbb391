package dev.vmtree.core.cpu;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.TestMachines;
import org.junit.jupiter.api.Test;

/**
 * Traps, delegation, xRET, interrupts and CSR privilege rules. Programs run in M-mode from CODE;
 * the M handler at CODE+0x400 logs (mcause, mtval, mepc) at LOG, skips the trapping instruction
 * and returns, except for ecall from S/U (causes 8/9), which ends the test.
 */
class TrapTest {
    static final long LOG = TestMachines.DATA;
    static final int S10 = 26, S11 = 27;
    static final int MSTATUS = 0x300, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305,
            MCOUNTEREN = 0x306, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, STVEC = 0x105, SEPC = 0x141,
            SCAUSE = 0x142, STVAL = 0x143, SATP = 0x180;

    /** Prologue: mtvec = handler, log pointer; then the test body is emitted by the caller at CODE+0x40. */
    static Asm program() {
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x400).csrw(MTVEC, T0).li(S10, LOG).j("body");
        a.org(0x300).addi(S2, S2, 1).csrr(T0, SEPC).addi(T0, T0, 4).csrw(SEPC, T0).sret();
        a.org(0x400);
        a.csrr(T0, MCAUSE).li(T1, 8).beq(T0, T1, "done").li(T1, 9).beq(T0, T1, "done");
        a.sd(T0, S10, 0).csrr(T2, MTVAL).sd(T2, S10, 8).csrr(T2, MEPC).sd(T2, S10, 16).addi(S10, S10, 24);
        a.li(T1, Trap.FETCH_PAGE_FAULT).beq(T0, T1, "fetch");
        a.csrr(T0, MEPC).addi(T0, T0, 4).csrw(MEPC, T0).mret();
        a.label("fetch").csrw(MEPC, RA).mret(); // a failed jump returns to its caller
        a.label("done");
        TestMachines.pass(a);
        a.org(0x600).label("body");
        return a;
    }

    /** Drops to S-mode at the label "s" (mret with MPP = S). */
    static Asm enterS(Asm a, int mode) {
        a.li(T0, 3L << 11).csrrc(ZERO, MSTATUS, T0).li(T0, (long) mode << 11).csrrs(ZERO, MSTATUS, T0);
        a.auipc(T1, 0).addi(T1, T1, 16).csrw(MEPC, T1).mret();
        return a;
    }

    static Machine run(Asm a) {
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        return m;
    }

    static long log(Machine m, int entry, int field) {
        return m.bus().ram().load(LOG - dev.vmtree.core.mem.Bus.RAM_BASE + 24L * entry + 8L * field, 8);
    }

    static long logCount(Machine m) {
        return (m.hart(0).reg(S10) - LOG) / 24;
    }

    @Test
    void illegalInstructionRecordsItsBitsAndPc() {
        Asm a = program();
        long at = TestMachines.CODE + a.pos();
        a.word(0xFFFFFFFF);
        TestMachines.pass(a);
        Machine m = run(a);
        assertThat(logCount(m)).isEqualTo(1);
        assertThat(log(m, 0, 0)).isEqualTo(Trap.ILLEGAL_INSTRUCTION);
        assertThat(log(m, 0, 1)).isEqualTo(0xFFFFFFFFL);
        assertThat(log(m, 0, 2)).isEqualTo(at);
    }

    @Test
    void ecallFromMachineModeTrapsWithCause11() {
        Asm a = program();
        long at = TestMachines.CODE + a.pos();
        a.ecall();
        TestMachines.pass(a);
        Machine m = run(a);
        assertThat(log(m, 0, 0)).isEqualTo(Trap.ECALL_M);
        assertThat(log(m, 0, 2)).isEqualTo(at);
    }

    @Test
    void delegatedExceptionsGoToStvecAndSretReturns() {
        Asm a = program();
        a.li(T0, TestMachines.CODE + 0x300).csrw(STVEC, T0).li(T0, 1L << Trap.BREAKPOINT).csrw(MEDELEG, T0);
        enterS(a, 1);
        a.ebreak().ebreak().csrr(S11, SCAUSE).ecall();
        Machine m = run(a);
        Hart hart = m.hart(0);
        assertThat(hart.reg(S11)).isEqualTo(Trap.BREAKPOINT);
        assertThat(hart.reg(S2)).isEqualTo(2); // two delegated ebreaks counted by the S handler
        assertThat(logCount(m)).isZero(); // nothing reached M
    }

    @Test
    void supervisorCannotTouchMachineCsrsAndTvmTswTrap() {
        Asm a = program();
        a.li(T0, (1L << 20) | (1L << 21) | (1L << 22)).csrrs(ZERO, MSTATUS, T0); // TVM, TW, TSR
        enterS(a, 1);
        a.csrr(A0, MSTATUS) // illegal from S
                .csrr(A0, SATP) // TVM
                .sfenceVma(ZERO, ZERO) // TVM
                .wfi() // TW
                .sret() // TSR
                .csrr(A0, 0xC00) // cycle with mcounteren = 0
                .csrrwi(ZERO, 0xF14, 0) // write to a read-only CSR: illegal even in... S lacks access anyway
                .ecall();
        Machine m = run(a);
        assertThat(logCount(m)).isEqualTo(7);
        for (int i = 0; i < 7; i++) {
            assertThat(log(m, i, 0)).as("trap %d", i).isEqualTo(Trap.ILLEGAL_INSTRUCTION);
        }
        assertThat(log(m, 0, 1)).isEqualTo(Asm.i(MSTATUS, 0, 2, A0, 0x73) & 0xFFFFFFFFL);
    }

    @Test
    void csrOperationsReadModifyWrite() {
        Asm a = program();
        a.li(T0, 0xF0).csrw(0x340, T0).li(T1, 0x0F).csrrs(A0, 0x340, T1).li(T1, 0x11).csrrc(A1, 0x340, T1)
                .csrrwi(A2, 0x340, 7).csrr(A3, 0x340).csrr(A4, 0x301).csrr(A5, 0xF14).csrrwi(ZERO, 0xF14, 1);
        TestMachines.pass(a);
        Machine m = run(a);
        Hart h = m.hart(0);
        assertThat(h.reg(A0)).isEqualTo(0xF0);
        assertThat(h.reg(A1)).isEqualTo(0xFF);
        assertThat(h.reg(A2)).isEqualTo(0xEE);
        assertThat(h.reg(A3)).isEqualTo(7);
        assertThat(h.reg(A4)).isEqualTo(0x8000_0000_0014_112DL); // RV64 ACDFIMSU
        assertThat(h.reg(A5)).isEqualTo(0);
        assertThat(log(m, 0, 0)).as("write to read-only mhartid").isEqualTo(Trap.ILLEGAL_INSTRUCTION);
    }

    @Test
    void timerInterruptWakesWfiThroughTheVectoredTable() {
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x401).csrw(MTVEC, T0) // vectored
                .li(T1, dev.vmtree.core.Machine.CLINT_BASE + 0xBFF8).ld(T2, T1, 0).addi(T2, T2, 1000)
                .li(T1, dev.vmtree.core.Machine.CLINT_BASE + 0x4000).sd(T2, T1, 0)
                .li(T0, 1 << 7).csrw(MIE, T0).li(T0, 1 << 3).csrrs(ZERO, MSTATUS, T0)
                .label("w").wfi().j("w");
        a.org(0x400).j("bad"); // exceptions (base)
        a.org(0x400 + 4 * 7).j("timer");
        a.org(0x500).label("bad");
        TestMachines.exitCode(a, 3);
        a.label("timer").csrr(S1, MCAUSE).li(T1, dev.vmtree.core.Machine.CLINT_BASE + 0xBFF8).ld(S2, T1, 0)
                .csrr(A0, 0x344);
        TestMachines.pass(a);
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        Hart h = m.hart(0);
        assertThat(h.reg(S1)).isEqualTo(Trap.INTERRUPT | Trap.IRQ_M_TIMER);
        assertThat(h.reg(S2)).isGreaterThanOrEqualTo(h.reg(T2));
        assertThat(h.reg(A0) & (1 << 7)).isNotZero();
    }

    @Test
    void pendingSupervisorSoftwareInterruptIsTakenWhenEnabledInSMode() {
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x400).csrw(MTVEC, T0).li(T0, TestMachines.CODE + 0x300).csrw(STVEC, T0)
                .li(T0, 1 << 1).csrw(MIDELEG, T0).csrw(MIE, T0).csrrs(ZERO, 0x344, T0); // SSIP pending
        enterS(a, 1);
        a.li(T0, 1 << 1).csrrs(ZERO, 0x100, T0) // sstatus.SIE = 1: taken right after this write
                .li(A1, 99).ecall();
        a.org(0x300).csrr(S1, SCAUSE).csrr(S2, SEPC).li(T0, 1 << 1).csrrc(ZERO, 0x144, T0).ecall();
        a.org(0x400).csrr(S11, MCAUSE);
        TestMachines.pass(a);
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        Hart h = m.hart(0);
        assertThat(h.reg(S1)).isEqualTo(Trap.INTERRUPT | Trap.IRQ_S_SOFT);
        assertThat(h.reg(A1)).as("interrupt taken before the next instruction").isEqualTo(0);
        assertThat(h.reg(S11)).isEqualTo(Trap.ECALL_S);
    }
}
