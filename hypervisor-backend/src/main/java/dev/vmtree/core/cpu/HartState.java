package dev.vmtree.core.cpu;

import java.util.Arrays;

/**
 * Everything about one hart that survives a capture: integer registers, pc, privilege, every CSR
 * the core implements (counters as offsets from {@code steps}), the timer comparators, the LR
 * reservation, and the WFI, stopped and hypervisor-mode flags. Caches (TLB, decoded pages) are
 * derived and never saved. Immutable: the arrays are copied in and out.
 *
 * @param x x0..x31 (x0 always 0)
 * @param f f0..f31 as raw bits (singles NaN-boxed), all zero on harts without F/D
 * @param fcsr frm (bits 7..5) and the accrued flags (bits 4..0), zero on harts without F/D
 */
public record HartState(long[] x, long pc, int privilege, long mstatus, long medeleg, long mideleg, long mie, long mip,
                        long mtvec, long mepc, long mcause, long mtval, long mscratch,
                        long stvec, long sepc, long scause, long stval, long sscratch, long satp,
                        long mcounteren, long scounteren, long menvcfg, long senvcfg,
                        long[] pmpaddr, long[] pmpcfg, long steps, long cycleOffset, long instretOffset,
                        long mtimecmp, long sbiTimer, long reservation, boolean waitingForInterrupt, boolean stopped,
                        boolean hypervisorMode, long[] f, int fcsr) {
    public static final int PMP_ADDR = 64, PMP_CFG = 16;

    public HartState {
        if (x.length != 32 || pmpaddr.length != PMP_ADDR || pmpcfg.length != PMP_CFG || f.length != 32) {
            throw new IllegalArgumentException("hart state needs 32 registers, 64 pmpaddr and 16 pmpcfg words,"
                    + " and 32 floating-point registers");
        }
        if ((fcsr & ~0xFF) != 0) {
            throw new IllegalArgumentException("fcsr has bits beyond frm and fflags: 0x" + Integer.toHexString(fcsr));
        }
        if (x[0] != 0) {
            throw new IllegalArgumentException("x0 must be 0");
        }
        if (privilege != Hart.PRIV_U && privilege != Hart.PRIV_S && privilege != Hart.PRIV_M) {
            throw new IllegalArgumentException("bad privilege level " + privilege);
        }
        x = x.clone();
        pmpaddr = pmpaddr.clone();
        pmpcfg = pmpcfg.clone();
        f = f.clone();
    }

    /** True when the floating-point state is all zero (as on a hart without F/D). */
    public boolean fpZero() {
        if (fcsr != 0) {
            return false;
        }
        for (long v : f) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long[] f() {
        return f.clone();
    }

    /** This state with other floating-point registers and fcsr. */
    public HartState withFp(long[] newF, int newFcsr) {
        return new HartState(x, pc, privilege, mstatus, medeleg, mideleg, mie, mip, mtvec, mepc, mcause, mtval, mscratch,
                stvec, sepc, scause, stval, sscratch, satp, mcounteren, scounteren, menvcfg, senvcfg, pmpaddr, pmpcfg,
                steps, cycleOffset, instretOffset, mtimecmp, sbiTimer, reservation, waitingForInterrupt, stopped,
                hypervisorMode, newF, newFcsr);
    }

    public long freg(int i) {
        return f[i];
    }

    @Override
    public long[] x() {
        return x.clone();
    }

    @Override
    public long[] pmpaddr() {
        return pmpaddr.clone();
    }

    @Override
    public long[] pmpcfg() {
        return pmpcfg.clone();
    }

    public long reg(int i) {
        return x[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HartState h && Arrays.equals(x, h.x) && pc == h.pc && privilege == h.privilege
                && mstatus == h.mstatus && medeleg == h.medeleg && mideleg == h.mideleg && mie == h.mie && mip == h.mip
                && mtvec == h.mtvec && mepc == h.mepc && mcause == h.mcause && mtval == h.mtval
                && mscratch == h.mscratch && stvec == h.stvec && sepc == h.sepc && scause == h.scause
                && stval == h.stval && sscratch == h.sscratch && satp == h.satp && mcounteren == h.mcounteren
                && scounteren == h.scounteren && menvcfg == h.menvcfg && senvcfg == h.senvcfg
                && Arrays.equals(pmpaddr, h.pmpaddr) && Arrays.equals(pmpcfg, h.pmpcfg) && steps == h.steps
                && cycleOffset == h.cycleOffset && instretOffset == h.instretOffset && mtimecmp == h.mtimecmp
                && sbiTimer == h.sbiTimer && reservation == h.reservation
                && waitingForInterrupt == h.waitingForInterrupt && stopped == h.stopped
                && hypervisorMode == h.hypervisorMode && Arrays.equals(f, h.f) && fcsr == h.fcsr;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(x) * 31 + Long.hashCode(pc) * 17 + Long.hashCode(steps);
    }
}
