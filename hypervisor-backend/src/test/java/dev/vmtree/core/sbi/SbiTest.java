package dev.vmtree.core.sbi;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Machine;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.TestMachines;
import dev.vmtree.core.TestMachines.Recorder;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.mem.Bus;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Each SBI call, from an S-mode guest in hypervisor mode. Results land in s-registers; SRST ends the run. */
class SbiTest {
    static final long CODE = Bus.RAM_BASE + 0x20_0000;
    static final long BUF = Bus.RAM_BASE + 0x30_0000;

    static Asm shutdown(Asm a) {
        a.li(A0, 0).li(A1, 0);
        return a.sbi(Sbi.EXT_SRST, 0);
    }

    static Machine run(Consumer<Asm> body, int harts, Recorder console, StopReason expected) {
        Asm a = new Asm();
        body.accept(a);
        shutdown(a);
        Machine m = TestMachines.supervisor(a, harts, console);
        RunResult r = m.run(10_000_000);
        assertThat(r.reason()).isEqualTo(expected);
        return m;
    }

    static Machine run(Consumer<Asm> body) {
        return run(body, 1, new Recorder(), StopReason.SHUTDOWN);
    }

    @Test
    void baseReportsVersionImplementationAndProbes() {
        Machine m = run(a -> {
            a.sbi(Sbi.EXT_BASE, 0).add(S1, A1, ZERO).add(S2, A0, ZERO);
            a.sbi(Sbi.EXT_BASE, 1).add(T3, A1, ZERO);
            a.li(A0, Sbi.EXT_DBCN).sbi(Sbi.EXT_BASE, 3).add(T4, A1, ZERO);
            a.li(A0, 0x12345).sbi(Sbi.EXT_BASE, 3).add(T5, A1, ZERO);
            a.sbi(Sbi.EXT_BASE, 4).add(S10(), A0, ZERO);
            a.sbi(0x0BAD_CAFEL, 0).add(T6, A0, ZERO); // unknown extension
            a.sbi(Sbi.EXT_BASE, 99).add(TP, A0, ZERO); // unknown function
        });
        Hart h = m.hart(0);
        assertThat(h.reg(S2)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(S1)).isEqualTo(0x0200_0000L);
        assertThat(h.reg(T3)).isEqualTo(Sbi.IMPL_ID);
        assertThat(h.reg(T4)).isEqualTo(1);
        assertThat(h.reg(T5)).isEqualTo(0);
        assertThat(h.reg(26)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(T6)).isEqualTo(Sbi.ERR_NOT_SUPPORTED);
        assertThat(h.reg(TP)).isEqualTo(Sbi.ERR_NOT_SUPPORTED);
    }

    private static int S10() {
        return 26;
    }

    @Test
    void debugConsoleWritesReadsAndWritesBytes() {
        Recorder console = new Recorder();
        console.in.add((int) 'x');
        console.in.add((int) 'y');
        Machine m = run(a -> {
            a.li(T0, BUF).li(T1, 0x0A6968).sd(T1, T0, 0); // "hi\n"
            a.li(A0, 3).li(A1, BUF).li(A2, 0).sbi(Sbi.EXT_DBCN, 0).add(S1, A1, ZERO);
            a.li(A0, '!').sbi(Sbi.EXT_DBCN, 2);
            a.li(A0, 8).li(A1, BUF + 64).li(A2, 0).sbi(Sbi.EXT_DBCN, 1).add(S2, A1, ZERO);
            a.li(T0, BUF + 64).ld(T3, T0, 0);
            a.li(A0, 3).li(A1, 0x1000).li(A2, 0).sbi(Sbi.EXT_DBCN, 0).add(T4, A0, ZERO); // not RAM
            a.li(A0, 3).li(A1, BUF).li(A2, 1).sbi(Sbi.EXT_DBCN, 0).add(T5, A0, ZERO); // high address bits
        }, 1, console, StopReason.SHUTDOWN);
        Hart h = m.hart(0);
        assertThat(console.text()).isEqualTo("hi\n!");
        assertThat(h.reg(S1)).isEqualTo(3);
        assertThat(h.reg(S2)).isEqualTo(2);
        assertThat(h.reg(T3)).isEqualTo(0x7978);
        assertThat(h.reg(T4)).isEqualTo(Sbi.ERR_INVALID_PARAM);
        assertThat(h.reg(T5)).isEqualTo(Sbi.ERR_INVALID_PARAM);
    }

    @Test
    void legacyConsoleCallsPutAndGetCharacters() {
        Recorder console = new Recorder();
        console.in.add((int) 'k');
        Machine m = run(a -> {
            a.li(A0, 'o').sbi(1, 0).li(A0, 'k').sbi(1, 0);
            a.sbi(2, 0).add(S1, A0, ZERO).sbi(2, 0).add(S2, A0, ZERO);
        }, 1, console, StopReason.SHUTDOWN);
        assertThat(console.text()).isEqualTo("ok");
        assertThat(m.hart(0).reg(S1)).isEqualTo('k');
        assertThat(m.hart(0).reg(S2)).isEqualTo(-1);
    }

    @Test
    void setTimerRaisesTheSupervisorTimerInterruptAtTheDeadline() {
        Machine m = run(a -> {
            a.li(T0, CODE + 0x400).csrw(0x105, T0); // stvec
            a.li(T0, 1 << 5).csrrs(ZERO, 0x104, T0); // sie.STIE
            a.csrr(S1, 0xC01).addi(A0, S1, 500).sbi(Sbi.EXT_TIME, 0);
            a.li(T0, 1 << 1).csrrs(ZERO, 0x100, T0); // sstatus.SIE
            a.label("w").wfi().j("w");
            a.org(0x400).csrr(S2, 0x142).csrr(T3, 0xC01).li(A0, -1).sbi(Sbi.EXT_TIME, 0).csrr(T4, 0x144);
        });
        Hart h = m.hart(0);
        assertThat(h.reg(S2)).isEqualTo(Long.MIN_VALUE | 5);
        assertThat(h.reg(T3)).isGreaterThanOrEqualTo(h.reg(S1) + 500);
        assertThat(h.reg(T4) & (1 << 5)).as("set_timer clears STIP").isZero();
    }

    @Test
    void srstFailureAndRebootStopTheMachineWithTheirReason() {
        Asm fail = new Asm();
        fail.li(A0, 0).li(A1, 1).sbi(Sbi.EXT_SRST, 0);
        Machine m = TestMachines.supervisor(fail, 1, new Recorder());
        RunResult r = m.run(1000);
        assertThat(r.reason()).isEqualTo(StopReason.GUEST_FAILURE);
        assertThat(r.detail()).isEqualTo(1);

        Asm reboot = new Asm();
        reboot.li(A0, 1).li(A1, 0).sbi(Sbi.EXT_SRST, 0);
        assertThat(TestMachines.supervisor(reboot, 1, new Recorder()).run(1000).reason()).isEqualTo(StopReason.REBOOT);

        Asm bad = new Asm();
        bad.li(A0, 7).li(A1, 0).sbi(Sbi.EXT_SRST, 0).add(S1, A0, ZERO).sbi(8, 0); // then legacy shutdown
        Machine mb = TestMachines.supervisor(bad, 1, new Recorder());
        assertThat(mb.run(1000).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(mb.hart(0).reg(S1)).isEqualTo(Sbi.ERR_INVALID_PARAM);
    }

    @Test
    void hsmStartsAndStopsHartsAndReportsTheirStatus() {
        Machine m = run(a -> {
            a.li(A0, 1).sbi(Sbi.EXT_HSM, 2).add(S1, A1, ZERO); // status of hart 1: stopped
            a.li(A0, 1).li(A1, CODE + 0x400).li(A2, 0x5A).sbi(Sbi.EXT_HSM, 0).add(S2, A0, ZERO);
            a.li(A0, 1).li(A1, CODE + 0x400).li(A2, 0x5A).sbi(Sbi.EXT_HSM, 0).add(T3, A0, ZERO); // again
            a.li(A0, 5).li(A1, CODE).sbi(Sbi.EXT_HSM, 0).add(T4, A0, ZERO); // no such hart
            a.label("wait").li(T0, BUF).ld(T1, T0, 0).beq(T1, ZERO, "wait");
            a.li(A0, 1).sbi(Sbi.EXT_HSM, 2).add(T5, A1, ZERO);
            shutdown(a);
            a.org(0x400); // hart 1: a0 = hartid, a1 = opaque; publish them, then stop
            a.slli(T1, A0, 8).or_(T1, T1, A1).li(T0, BUF).sd(T1, T0, 0).sbi(Sbi.EXT_HSM, 1);
        }, 2, new Recorder(), StopReason.SHUTDOWN);
        Hart h = m.hart(0);
        assertThat(h.reg(S1)).isEqualTo(Sbi.HSM_STOPPED);
        assertThat(h.reg(S2)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(T3)).isEqualTo(Sbi.ERR_ALREADY_AVAILABLE);
        assertThat(h.reg(T4)).isEqualTo(Sbi.ERR_INVALID_PARAM);
        assertThat(h.reg(T1)).isEqualTo(0x15A);
        assertThat(m.hart(1).stopped()).isTrue();
    }

    @Test
    void ipiSetsTheSupervisorSoftwareInterruptAndRfenceValidatesMasks() {
        Machine m = run(a -> {
            a.li(A0, 1).li(A1, 0).sbi(Sbi.EXT_IPI, 0).add(S1, A0, ZERO).csrr(S2, 0x144);
            a.li(A0, 1).li(A1, 3).sbi(Sbi.EXT_IPI, 0).add(T3, A0, ZERO); // base beyond the harts
            a.li(A0, 1).li(A1, 0).sbi(Sbi.EXT_RFENCE, 0).add(T4, A0, ZERO);
            a.li(A0, -1).li(A1, -1).li(A2, 0).li(A3, -1).sbi(Sbi.EXT_RFENCE, 1).add(T5, A0, ZERO);
            a.sbi(Sbi.EXT_RFENCE, 3).add(T6, A0, ZERO); // hfence: no H extension
        });
        Hart h = m.hart(0);
        assertThat(h.reg(S1)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(S2) & 2).isEqualTo(2);
        assertThat(h.reg(T3)).isEqualTo(Sbi.ERR_INVALID_PARAM);
        assertThat(h.reg(T4)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(T5)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(T6)).isEqualTo(Sbi.ERR_NOT_SUPPORTED);
    }

    @Test
    void ecallFromUserModeIsDelegatedToTheGuestKernel() {
        Machine m = run(a -> {
            a.li(T0, CODE + 0x400).csrw(0x105, T0);
            a.li(T0, 1 << 8).csrrc(ZERO, 0x100, T0); // SPP = U
            a.li(T0, CODE + 0x300).csrw(0x141, T0).sret();
            a.org(0x300).ecall();
            a.org(0x400).csrr(S1, 0x142);
        });
        assertThat(m.hart(0).reg(S1)).isEqualTo(8);
    }

    @Test
    void retentiveSuspendResumesOnTheLegacyTimerAndOtherTypesAreRefused() {
        Machine m = run(a -> {
            a.li(T0, 1 << 5).csrrs(ZERO, 0x104, T0); // sie.STIE, global SIE off: wake without a trap
            a.csrr(S1, 0xC01).addi(A0, S1, 2000).sbi(0, 0); // legacy set_timer
            a.li(A0, 0).sbi(Sbi.EXT_HSM, 3).add(S2, A0, ZERO).csrr(T3, 0xC01).csrr(T4, 0x144);
            a.li(A0, 0x8000_0000L).sbi(Sbi.EXT_HSM, 3).add(T5, A0, ZERO); // non-retentive
            a.li(A0, 5).sbi(Sbi.EXT_HSM, 3).add(T6, A0, ZERO); // reserved type
        });
        Hart h = m.hart(0);
        assertThat(h.reg(S2)).isEqualTo(Sbi.SUCCESS);
        assertThat(h.reg(T3)).as("resumed at the deadline").isGreaterThanOrEqualTo(h.reg(S1) + 2000);
        assertThat(h.reg(T4) & (1 << 5)).isNotZero();
        assertThat(h.reg(T5)).isEqualTo(Sbi.ERR_NOT_SUPPORTED);
        assertThat(h.reg(T6)).isEqualTo(Sbi.ERR_INVALID_PARAM);
    }
}
