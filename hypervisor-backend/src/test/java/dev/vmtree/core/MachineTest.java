package dev.vmtree.core;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.mem.Bus;
import dev.vmtree.cow.FrozenImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MachineTest {

    /** Two harts hammer a shared counter with LR/SC and take timer interrupts; returns a digest of the end state. */
    static Asm busyProgram() {
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x400).csrw(0x305, T0) // mtvec
                .li(T1, Machine.CLINT_BASE + 0xBFF8).ld(T2, T1, 0).addi(T2, T2, 37)
                .csrr(A0, 0xF14).slli(T3, A0, 3).li(T1, Machine.CLINT_BASE + 0x4000).add(T1, T1, T3).sd(T2, T1, 0)
                .li(T0, 1 << 7).csrw(0x304, T0).li(T0, 1 << 3).csrrs(ZERO, 0x300, T0)
                .li(S1, 20000).li(A1, TestMachines.DATA)
                .label("loop").amo(0x02, 3, T4, A1, ZERO).addi(T4, T4, 1).amo(0x03, 3, T5, A1, T4)
                .bne(T5, ZERO, "loop").addi(S1, S1, -1).bne(S1, ZERO, "loop")
                .beq(A0, ZERO, "finish").label("park").wfi().j("park")
                .label("finish").li(T0, 1 << 3).csrrc(ZERO, 0x300, T0);
        TestMachines.pass(a);
        a.org(0x400) // timer: count, re-arm 37 ticks later
                .addi(S2, S2, 1).li(T1, Machine.CLINT_BASE + 0xBFF8).ld(T2, T1, 0).addi(T2, T2, 37)
                .li(T1, Machine.CLINT_BASE + 0x4000).add(T1, T1, T3).sd(T2, T1, 0).mret();
        return a;
    }

    static Machine twoHarts(Asm a) {
        Machine m = new Machine(new MachineConfig(1 << 20, 2, true, ""), Console.NONE);
        byte[] code = a.bytes();
        m.memory().writeRam(TestMachines.CODE, code, 0, code.length);
        m.enableHtif(TestMachines.TOHOST);
        for (Hart h : m.harts()) {
            h.setPc(TestMachines.CODE);
        }
        return m;
    }

    static String state(Machine m) {
        StringBuilder s = new StringBuilder("t=" + m.instructions());
        for (Hart h : m.harts()) {
            s.append(" pc=").append(Long.toHexString(h.pc())).append(" steps=").append(h.steps());
            for (int i = 1; i < 32; i++) s.append(',').append(h.reg(i));
            s.append(" mip=").append(h.mip());
        }
        s.append(" counter=").append(m.bus().ram().load(TestMachines.DATA - Bus.RAM_BASE, 8));
        return s.toString();
    }

    @Test
    void aRunSplitAtRandomPointsEndsInTheSameStateAsOneRun() {
        Machine whole = twoHarts(busyProgram());
        RunResult r = whole.run(50_000_000);
        assertThat(r.reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(whole.bus().ram().load(TestMachines.DATA - Bus.RAM_BASE, 8)).isEqualTo(40000);
        assertThat(whole.hart(0).reg(S2)).as("timer interrupts taken").isPositive();

        Random random = new Random(42);
        Machine split = twoHarts(busyProgram());
        RunResult last;
        int pieces = 0;
        do {
            last = split.run(1 + random.nextInt(5_000));
            pieces++;
        } while (last.reason() == StopReason.BUDGET_EXHAUSTED);
        assertThat(pieces).isGreaterThan(20);
        assertThat(last.reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(state(split)).isEqualTo(state(whole));
    }

    @Test
    void fenceIMakesModifiedCodeVisible() {
        Asm a = new Asm();
        // Overwrite the "addi s1, zero, 1" at label target with "addi s1, zero, 2", run it before and after fence.i.
        a.jal(RA, "target").add(S2, S1, ZERO)
                .li(T0, TestMachines.CODE + 0x100).li(T1, Asm.i(2, 0, 0, S1, 0x13)).sw(T1, T0, 0).fenceI()
                .jal(RA, "target");
        TestMachines.pass(a);
        a.org(0x100).label("target").addi(S1, ZERO, 1).jalr(ZERO, RA, 0);
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(m.hart(0).reg(S2)).isEqualTo(1);
        assertThat(m.hart(0).reg(S1)).isEqualTo(2);
    }

    @Test
    void writesAfterAFreezeLeaveTheFrozenViewUntouched() {
        Asm a = new Asm();
        a.li(A0, TestMachines.DATA).li(A1, 11).sd(A1, A0, 0).label("w").ld(A2, A0, 0).addi(A2, A2, 1).sd(A2, A0, 0)
                .j("w");
        Machine m = TestMachines.bare(a, Console.NONE);
        m.run(1000);
        FrozenImage frozen = m.bus().ram().freeze();
        long before = m.bus().ram().load(TestMachines.DATA - Bus.RAM_BASE, 8);
        m.run(1000);
        long after = m.bus().ram().load(TestMachines.DATA - Bus.RAM_BASE, 8);
        byte[] view = new byte[8];
        frozen.read(TestMachines.DATA - Bus.RAM_BASE, view, 0, 8);
        assertThat(after).isGreaterThan(before);
        assertThat(java.nio.ByteBuffer.wrap(view).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(before);
    }

    @Test
    void accessOutsideRamAndDevicesIsAnAccessFault() {
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x100).csrw(0x305, T0).li(A0, 0x1000).ld(A1, A0, 0);
        TestMachines.exitCode(a, 3);
        a.org(0x100).csrr(S1, 0x342).csrr(S2, 0x343);
        TestMachines.pass(a);
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(m.hart(0).reg(S1)).isEqualTo(5);
        assertThat(m.hart(0).reg(S2)).isEqualTo(0x1000);
    }

    @Test
    void htifReportsTheFailingTestNumberAndPrintsCharacters() {
        TestMachines.Recorder console = new TestMachines.Recorder();
        Asm a = new Asm();
        a.li(T6, TestMachines.TOHOST).li(T5, (1L << 56) | (1L << 48) | 'A').sd(T5, T6, 0);
        TestMachines.exitCode(a, (7 << 1) | 1);
        Machine m = TestMachines.bare(a, console);
        RunResult r = TestMachines.run(m);
        assertThat(r.reason()).isEqualTo(StopReason.GUEST_FAILURE);
        assertThat(r.detail()).isEqualTo(7);
        assertThat(console.text()).isEqualTo("A");
    }

    @Test
    void wfiWithNothingArmedLeavesTheMachineIdle() {
        Asm a = new Asm();
        a.label("w").wfi().j("w");
        Machine m = TestMachines.bare(a, Console.NONE);
        assertThat(m.run(-1).reason()).isEqualTo(StopReason.IDLE);
    }
}
