package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Csrs.*;

/**
 * Traps, interrupts and the system instructions (ecall, ebreak, xRET, WFI, fences, CSR access).
 * Everything here runs off the fast path: the interpreter calls {@link #execute} with {@code h.pc}
 * at the instruction and reads the next pc back from it.
 *
 * <p>Interrupts are taken only at deterministic points: when the machine checks at global
 * instruction counts, and right after an instruction of this class that may have unmasked one
 * (CSR writes, xRET, WFI) — both independent of where a run started.
 */
public final class Privileged {
    private Privileged() {}

    /** Executes a system/rare decoded instruction; leaves the next pc in h.pc. */
    static void execute(Hart h, long d) {
        int op = Op.op(d);
        long pc = h.pc;
        switch (op) {
            case Op.FETCH_FAULT -> trap(h, Op.imm(d), h.faultTval);
            case Op.ILLEGAL -> trap(h, Trap.ILLEGAL_INSTRUCTION, Op.imm(d) & (Op.length(d) == 2 ? 0xFFFFL : 0xFFFF_FFFFL));
            case Op.ECALL -> {
                if (h.priv == Hart.PRIV_S && h.hypervisorMode && h.host.environmentCall(h)) {
                    h.pc = pc + 4;
                    h.exitSlice = true; // the hypercall may have stopped harts, the machine or armed timers
                    takeInterrupt(h);
                } else {
                    trap(h, h.priv == Hart.PRIV_M ? Trap.ECALL_M : Trap.ECALL_U + h.priv, 0);
                }
            }
            case Op.EBREAK -> trap(h, Trap.BREAKPOINT, pc);
            case Op.BREAKPOINT -> {
                h.exitSlice = true;
                h.host.breakpoint(h);
            }
            case Op.MRET -> {
                if (h.priv != Hart.PRIV_M) {
                    illegal(h);
                    return;
                }
                long s = h.mstatus;
                int mpp = (int) (s >>> 11) & 3;
                s = (s & ~MIE) | ((s & MPIE) != 0 ? MIE : 0);
                s |= MPIE;
                s &= ~MPP;
                if (mpp != Hart.PRIV_M) {
                    s &= ~MPRV;
                }
                h.mstatus = s;
                h.priv = mpp;
                h.pc = h.mepc;
                h.contextChanged();
                takeInterrupt(h);
            }
            case Op.SRET -> {
                if (h.priv < Hart.PRIV_S || (h.priv == Hart.PRIV_S && (h.mstatus & TSR) != 0)) {
                    illegal(h);
                    return;
                }
                long s = h.mstatus;
                int spp = (s & SPP) != 0 ? Hart.PRIV_S : Hart.PRIV_U;
                s = (s & ~SIE) | ((s & SPIE) != 0 ? SIE : 0);
                s |= SPIE;
                s &= ~SPP;
                s &= ~MPRV;
                h.mstatus = s;
                h.priv = spp;
                h.pc = h.sepc;
                h.contextChanged();
                takeInterrupt(h);
            }
            case Op.WFI -> {
                if (h.priv == Hart.PRIV_U || (h.priv == Hart.PRIV_S && (h.mstatus & TW) != 0)) {
                    illegal(h);
                    return;
                }
                h.pc = pc + 4;
                if ((h.mip & h.mie) == 0) {
                    h.wfi = true;
                    h.exitSlice = true;
                }
            }
            case Op.SFENCE_VMA -> {
                if (h.priv == Hart.PRIV_U || (h.priv == Hart.PRIV_S && (h.mstatus & TVM) != 0)) {
                    illegal(h);
                    return;
                }
                h.flushTlb();
                h.pc = pc + 4;
            }
            case Op.FENCE_I -> {
                // Nothing to do: the decode cache is coherent with every write (a store to a page with
                // decoded instructions discards them, DMA goes through writeRam), like a hart whose
                // instruction cache snoops. Linux issues fence.i for every executable page it maps.
                h.pc = pc + 4;
            }
            case Op.CSRRW, Op.CSRRS, Op.CSRRC, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI -> csr(h, d);
            default -> throw new IllegalStateException("operation " + op + " reached the system path");
        }
    }

    private static void csr(Hart h, long d) {
        int op = Op.op(d);
        int csr = Op.imm(d) & 0xFFF;
        int rd = Op.rd(d);
        int rs1 = Op.rs1(d);
        boolean immediate = op >= Op.CSRRWI;
        long src = immediate ? rs1 : h.x[rs1];
        int kind = immediate ? op - Op.CSRRWI : op - Op.CSRRW; // 0 write, 1 set, 2 clear
        boolean writes = kind == 0 || rs1 != 0;
        if (!Csrs.accessible(h, csr, writes)) {
            illegal(h);
            return;
        }
        long old = Csrs.read(h, csr);
        if (h.csrMissing) {
            illegal(h);
            return;
        }
        if (writes) {
            long v = kind == 0 ? src : kind == 1 ? old | src : old & ~src;
            Csrs.write(h, csr, v);
        }
        h.x[rd] = old;
        h.pc += 4;
        if (writes) {
            takeInterrupt(h);
        }
    }

    /** Raises illegal instruction with the instruction's bits in xtval. */
    static void illegal(Hart h) {
        trap(h, Trap.ILLEGAL_INSTRUCTION, Mmu.rawInstruction(h, h.pc) & 0xFFFF_FFFFL);
    }

    /** Enters the trap handler for an exception (cause &gt;= 0) or interrupt (cause with the top bit), epc = h.pc. */
    public static void trap(Hart h, long cause, long tval) {
        boolean interrupt = cause < 0;
        int code = (int) cause & 63;
        long deleg = interrupt ? h.mideleg : h.medeleg;
        h.reservation = -1;
        if (h.priv <= Hart.PRIV_S && ((deleg >>> code) & 1) != 0) {
            if (!interrupt && (h.stvec & ~3L) == h.pc && h.sepc == h.pc && h.scause == cause && h.stval == tval) {
                stuck(h, cause, tval, Hart.PRIV_S);
            }
            h.scause = cause;
            h.sepc = h.pc;
            h.stval = tval;
            long s = h.mstatus;
            s = (s & ~SPIE) | ((s & SIE) != 0 ? SPIE : 0);
            s &= ~SIE;
            s = (s & ~SPP) | (h.priv == Hart.PRIV_S ? SPP : 0);
            h.mstatus = s;
            h.priv = Hart.PRIV_S;
            h.pc = (h.stvec & ~3L) + (interrupt && (h.stvec & 3) == 1 ? 4L * code : 0);
        } else {
            if (!interrupt && (h.mtvec & ~3L) == h.pc && h.mepc == h.pc && h.mcause == cause && h.mtval == tval) {
                stuck(h, cause, tval, Hart.PRIV_M);
            }
            h.mcause = cause;
            h.mepc = h.pc;
            h.mtval = tval;
            long s = h.mstatus;
            s = (s & ~MPIE) | ((s & MIE) != 0 ? MPIE : 0);
            s &= ~MIE;
            s = (s & ~MPP) | ((long) h.priv << 11);
            h.mstatus = s;
            h.priv = Hart.PRIV_M;
            h.pc = (h.mtvec & ~3L) + (interrupt && (h.mtvec & 3) == 1 ? 4L * code : 0);
        }
        h.contextChanged();
    }

    /**
     * The exception being delivered is the one the handler's first instruction raised last time,
     * raised there again: the vector itself faults (tvec unset, pointing outside RAM or at
     * garbage), nothing in between retired, and the trap sends the hart back to the same
     * instruction with the same registers, so it can never make progress. Decided from the
     * architectural state alone (xtvec, xepc, xcause, xtval before this trap overwrites them), so
     * it does not depend on where a run started; costs a few compares per trap, nothing on the
     * instruction fast path. The trap is still delivered; the machine stops after it.
     */
    private static void stuck(Hart h, long cause, long tval, int privilege) {
        h.exitSlice = true;
        h.host.trapLoop(h, cause, tval, privilege);
    }

    private static final int[] PRIORITY = {
        Trap.IRQ_M_EXT, Trap.IRQ_M_SOFT, Trap.IRQ_M_TIMER, Trap.IRQ_S_EXT, Trap.IRQ_S_SOFT, Trap.IRQ_S_TIMER
    };

    /** Takes the highest-priority pending and enabled interrupt, if any; returns whether one was taken. */
    public static boolean takeInterrupt(Hart h) {
        long pending = h.mip & h.mie;
        if (pending == 0) {
            return false;
        }
        h.wfi = false;
        boolean mEnabled = h.priv < Hart.PRIV_M || (h.mstatus & MIE) != 0;
        boolean sEnabled = h.priv < Hart.PRIV_S || (h.priv == Hart.PRIV_S && (h.mstatus & SIE) != 0);
        long m = mEnabled ? pending & ~h.mideleg : 0;
        long s = sEnabled ? pending & h.mideleg : 0;
        long take = m != 0 ? m : s;
        if (take == 0) {
            return false;
        }
        for (int code : PRIORITY) {
            if ((take & (1L << code)) != 0) {
                trap(h, Trap.INTERRUPT | code, 0);
                return true;
            }
        }
        return false;
    }

    /** Recomputes timer-driven pending bits from the global instruction count. */
    public static void updateTimers(Hart h, long instructions) {
        long time = Timebase.ticks(instructions);
        if (Long.compareUnsigned(time, h.mtimecmp) >= 0) {
            h.mip |= MTIP;
        } else {
            h.mip &= ~MTIP;
        }
        if (h.hypervisorMode && Long.compareUnsigned(time, h.sbiTimer) >= 0) {
            h.mip |= STIP;
        }
    }

    /** The machine's deterministic check point for this hart: timers, WFI wake-up, interrupt entry. */
    public static void checkInterrupts(Hart h, long instructions) {
        updateTimers(h, instructions);
        takeInterrupt(h);
    }
}
