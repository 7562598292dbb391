package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Op.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One RV64GC hart (RV64IMAC when built without F/D): its architectural state (integer and
 * floating-point registers, pc, privilege, CSRs, reservation, WFI) and the interpreter that runs it.
 * Privileged operations live in {@link Privileged} and {@link Csrs}, floating point in {@link Fpu}
 * over {@link SoftFloat}, address translation and slow memory accesses in {@link Mmu}.
 *
 * <p>{@link #interpret(int)} is the hot loop. It is deliberately one long method (a {@code switch}
 * over pre-decoded operations) kept under HotSpot's 8000-byte compile limit: common ALU, branch and
 * RAM accesses that stay inside one page (misaligned ones included, as the spec lets hardware do
 * them; Linux measures them fast and uses them) through the software TLB stay inline; anything rare (traps, CSRs, MMIO,
 * misaligned, division, atomics) calls out. It never allocates and never throws: a trap is taken by
 * the slow path, which sets {@link #pc} and returns {@code true}.
 *
 * <p>Threading: a hart belongs to its machine's thread.
 */
public final class Hart {
    static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    public static final int PRIV_U = 0, PRIV_S = 1, PRIV_M = 3;

    public final int id;
    final MemorySystem mem;
    final HartHost host;
    final Tlb tlb = new Tlb();

    /** x0..x31 plus a write-only sink at index 32 that decoded instructions use for rd = x0. */
    final long[] x = new long[33];
    /** f0..f31 as raw bits; singles are NaN-boxed (upper 32 bits all ones). */
    final long[] f = new long[32];
    /** frm in bits 7..5, the accrued exception flags in bits 4..0. */
    int fcsr;
    /** True when this hart implements F and D (the machine type says); otherwise every FP instruction is illegal. */
    final boolean fpu;
    /** The hart's floating-point arithmetic (flags of the current instruction). */
    final SoftFloat softFloat = new SoftFloat();
    long pc;
    int priv = PRIV_M;

    long mstatus = Csrs.MSTATUS_XLEN;
    long medeleg, mideleg, mie, mip;
    long mtvec, mepc, mcause, mtval, mscratch;
    long stvec, sepc, scause, stval, sscratch, satp;
    long mcounteren, scounteren, menvcfg, senvcfg;
    final long[] pmpaddr = new long[64];
    final long[] pmpcfg = new long[16];
    /** Steps executed (instructions retired plus trapping ones); mcycle/minstret are offsets from it. */
    long steps;
    long cycleOffset, instretOffset;
    /** CLINT comparator (machine mode) and the SBI timer deadline (hypervisor mode), unsigned ticks. */
    long mtimecmp = -1, sbiTimer = -1;
    /** LR reservation address, -1 when none. */
    long reservation = -1;
    boolean wfi;
    /** HSM: a stopped hart runs nothing until started (hypervisor mode: every hart but 0 at boot). */
    boolean stopped;
    /** True when the hypervisor, not the guest, plays machine mode for this hart. */
    boolean hypervisorMode;

    /** Steps done in the current slice before the instruction being executed (for counters and time). */
    int sliceSteps;
    /** Set by a CSR read of a register that does not exist. */
    boolean csrMissing;
    /** Cause and address of the last failed translation or straddling fetch. */
    int faultCause;
    long faultTval;
    /** Set by a slow path that wants the interpreter to end its slice after this instruction. */
    boolean exitSlice;
    /** Set by {@link Mmu#load} when the load took a trap. */
    boolean loadTrapped;
    private long context = Long.MIN_VALUE;

    private static final long PAGE_END_SLOT = Op.pack(Op.PAGE_END, false, 0, 0, 0, 0);
    /** The code page an interpreter call starts on: every slot re-fetches. */
    private static final long[] PAGE_END_ONLY = sentinels();
    /** One-instruction page for instructions that are executed without being cached. */
    private final long[] scratch = sentinels();
    private int scratchSlot;

    private static long[] sentinels() {
        long[] a = new long[MemorySystem.CODE_PAGE_LENGTH];
        java.util.Arrays.fill(a, PAGE_END_SLOT);
        return a;
    }

    public Hart(int id, MemorySystem mem, HartHost host) {
        this(id, mem, host, true);
    }

    /** A hart with ({@code fpu}) or without the F and D extensions. */
    public Hart(int id, MemorySystem mem, HartHost host, boolean fpu) {
        this.id = id;
        this.mem = mem;
        this.host = host;
        this.fpu = fpu;
        mem.attach(tlb);
    }

    /** True when this hart implements F and D. */
    public boolean hasFpu() {
        return fpu;
    }

    /** Floating-point register {@code i} as raw bits. */
    public long freg(int i) {
        return f[i];
    }

    // ---- state accessors for the machine, loaders, SBI and tests ---------------------------------

    public long pc() {
        return pc;
    }

    public void setPc(long pc) {
        this.pc = pc & ~1L;
    }

    public long reg(int i) {
        return i == 0 ? 0 : x[i];
    }

    public void setReg(int i, long v) {
        if (i != 0) {
            x[i] = v;
        }
    }

    public int privilege() {
        return priv;
    }

    public void setPrivilege(int p) {
        priv = p;
        contextChanged();
    }

    public boolean waitingForInterrupt() {
        return wfi;
    }

    public boolean stopped() {
        return stopped;
    }

    public void setStopped(boolean s) {
        stopped = s;
        wfi = false;
    }

    /** Waiting (WFI) harts are woken at the machine's check points. */
    public boolean runnable() {
        return !stopped && !wfi;
    }

    public void setWaitingForInterrupt(boolean w) {
        wfi = w;
    }

    public void clearReservation() {
        reservation = -1;
    }

    /** Steps done in the slice so far (valid during device and hypercall callbacks). */
    public int sliceSteps() {
        return sliceSteps;
    }

    /**
     * Takes back the last counted step: a debugger's breakpoint ends a slice like a trapping
     * instruction does, but its instruction has not run (the machine calls this after the slice,
     * so the interpreter's loop stays as it is).
     */
    public void uncountBreakpoint() {
        steps--;
    }

    public long steps() {
        return steps;
    }

    public long mip() {
        return mip;
    }

    public long mie() {
        return mie;
    }

    /** Reads a CSR as machine mode would (no privilege checks); -1 if it does not exist. */
    public long csr(int number) {
        long v = Csrs.read(this, number);
        return csrMissing ? -1 : v;
    }

    /** The CLINT comparator of this hart, in timebase ticks. */
    public long mtimecmp() {
        return mtimecmp;
    }

    public void setMtimecmp(long v, long now) {
        mtimecmp = v;
        Privileged.updateTimers(this, now);
    }

    /** Arms the SBI timer (hypervisor mode) and clears a pending supervisor timer interrupt. */
    public void setSbiTimer(long deadline, long now) {
        sbiTimer = deadline;
        mip &= ~Csrs.STIP;
        Privileged.updateTimers(this, now);
    }

    public long sbiTimer() {
        return sbiTimer;
    }

    /** Sets or clears pending-interrupt bits driven by devices (MSIP, SSIP from IPIs, external lines). */
    public void setPending(long bits, boolean on) {
        mip = on ? mip | bits : mip & ~bits;
    }

    /**
     * Makes this hart act as the guest of an embedded SBI: exceptions and S-level interrupts are
     * delegated to S-mode, counters are readable from S and U, and machine mode is never entered.
     */
    public void enterHypervisorMode() {
        hypervisorMode = true;
        medeleg = Csrs.MEDELEG_MASK & ~(1L << Trap.ECALL_S);
        mideleg = Csrs.SSIP | Csrs.STIP | Csrs.SEIP;
        mie = 0; // sie is the delegated part of mie: S-mode enables what it wants
        mcounteren = 7;
        setPrivilege(PRIV_S);
    }

    /** Drops this hart's cached translations (remote sfence.vma). */
    public void flushTranslations() {
        tlb.flush();
    }

    /**
     * Translates a guest virtual address for a read as this hart would now (for hypercalls that take
     * virtual pointers); returns the physical address or -1. Sets A bits like a real access.
     */
    public long translateForRead(long va) {
        return Mmu.translate(this, va, Mmu.READ);
    }

    /**
     * Starts this hart in S-mode at {@code pc} with a0, a1 set, translation off and interrupts
     * disabled (SBI HSM hart_start and boot).
     */
    public void startSupervisor(long pc, long a0, long a1) {
        stopped = false;
        wfi = false;
        satp = 0;
        mstatus &= ~(Csrs.SIE | Csrs.SPIE | Csrs.SPP | Csrs.MPRV);
        priv = PRIV_S;
        forceFlush();
        contextChanged();
        setPc(pc);
        x[10] = a0;
        x[11] = a1;
    }

    /** This hart's architectural state, for a machine capture (called between slices). */
    public HartState save() {
        long[] regs = java.util.Arrays.copyOf(x, 32);
        regs[0] = 0;
        return new HartState(regs, pc, priv, mstatus, medeleg, mideleg, mie, mip, mtvec, mepc, mcause, mtval, mscratch,
                stvec, sepc, scause, stval, sscratch, satp, mcounteren, scounteren, menvcfg, senvcfg, pmpaddr, pmpcfg,
                steps, cycleOffset, instretOffset, mtimecmp, sbiTimer, reservation, wfi, stopped, hypervisorMode,
                f, fcsr);
    }

    /** Takes over a saved state verbatim; cached translations are dropped. */
    public void restore(HartState s) {
        if (!fpu && !s.fpZero()) {
            throw new IllegalArgumentException("hart " + id + " has no F/D but the state holds floating-point values");
        }
        System.arraycopy(s.x(), 0, x, 0, 32);
        System.arraycopy(s.f(), 0, f, 0, 32);
        fcsr = s.fcsr();
        x[32] = 0;
        pc = s.pc();
        priv = s.privilege();
        mstatus = s.mstatus();
        medeleg = s.medeleg();
        mideleg = s.mideleg();
        mie = s.mie();
        mip = s.mip();
        mtvec = s.mtvec();
        mepc = s.mepc();
        mcause = s.mcause();
        mtval = s.mtval();
        mscratch = s.mscratch();
        stvec = s.stvec();
        sepc = s.sepc();
        scause = s.scause();
        stval = s.stval();
        sscratch = s.sscratch();
        satp = s.satp();
        mcounteren = s.mcounteren();
        scounteren = s.scounteren();
        menvcfg = s.menvcfg();
        senvcfg = s.senvcfg();
        System.arraycopy(s.pmpaddr(), 0, pmpaddr, 0, pmpaddr.length);
        System.arraycopy(s.pmpcfg(), 0, pmpcfg, 0, pmpcfg.length);
        steps = s.steps();
        cycleOffset = s.cycleOffset();
        instretOffset = s.instretOffset();
        mtimecmp = s.mtimecmp();
        sbiTimer = s.sbiTimer();
        reservation = s.reservation();
        wfi = s.waitingForInterrupt();
        stopped = s.stopped();
        hypervisorMode = s.hypervisorMode();
        sliceSteps = 0;
        exitSlice = false;
        forceFlush();
        contextChanged();
    }

    /** Time in timebase ticks as seen by this hart right now. */
    long time() {
        return Timebase.ticks(host.instructionCount() + sliceSteps);
    }

    /** Drops every cached translation (sfence.vma, context change). */
    void flushTlb() {
        tlb.flush();
    }

    /** Called after anything that may change how addresses translate; flushes the TLB only on a real change. */
    void contextChanged() {
        long dataPriv = (mstatus & Csrs.MPRV) != 0 && priv == PRIV_M ? (mstatus >>> 11) & 3 : priv;
        long key = priv | dataPriv << 2 | (mstatus & (Csrs.SUM | Csrs.MXR)) | (satp & 0xF000_0000_0000_0000L) >>> 32
                | (satp << 24 & 0xFFFF_FFFF_0000_0000L);
        if (key != context) {
            context = key;
            tlb.flush();
        }
    }

    /** Forces the next {@link #contextChanged()} to flush (satp's full value changed). */
    void forceFlush() {
        context = Long.MIN_VALUE;
        tlb.flush();
    }

    // ---- the interpreter -----------------------------------------------------------------------

    /**
     * Runs up to {@code max} steps (instructions, counting those that trap) and returns how many ran.
     * Ends early after WFI, system instructions that may change translation, and stop requests.
     */
    public int interpret(int max) {
        final long[] x = this.x;
        final Tlb t = this.tlb;
        // The pc is base + 2 * off; off indexes the decoded page. Leaving the page (or any event that
        // may change translation) sets base = target - 4096, off = 2048: the PAGE_END sentinel there
        // re-fetches, so the common path never compares page numbers.
        long base = this.pc - 4096;
        int off = MemorySystem.CODE_SLOTS;
        long[] code = PAGE_END_ONLY;
        int left = max; // instructions still allowed in this call; done so far = max - left
        loop:
        while (left > 0) {
            long d = code[off];
            left--;
            switch ((int) d & 0xFF) {
                case ADDI -> x[((int) d >>> 9 & 63)] = Semantics.add(x[((int) d >>> 15 & 31)], d >> 32);
                case LUI -> x[((int) d >>> 9 & 63)] = d >> 32;
                case AUIPC -> x[((int) d >>> 9 & 63)] = base + (off << 1) + (d >> 32);
                case JAL -> {
                    long pc = base + (off << 1);
                    x[((int) d >>> 9 & 63)] = pc + (4 - (((int) d >>> 7) & 2));
                    long target = pc + (d >> 32);
                    if (((target ^ base) >>> 12) == 0) {
                        off = ((int) target & 0xFFF) >>> 1;
                    } else {
                        base = target - 4096;
                        off = MemorySystem.CODE_SLOTS;
                    }
                    continue;
                }
                case JALR -> {
                    long target = (x[((int) d >>> 15 & 31)] + (d >> 32)) & ~1L;
                    x[((int) d >>> 9 & 63)] = base + (off << 1) + (4 - (((int) d >>> 7) & 2));
                    if (((target ^ base) >>> 12) == 0) {
                        off = ((int) target & 0xFFF) >>> 1;
                    } else {
                        base = target - 4096;
                        off = MemorySystem.CODE_SLOTS;
                    }
                    continue;
                }
                case BEQ -> {
                    if (Semantics.beq(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)])) {
                        long target = base + (off << 1) + (d >> 32);
                        if (((target ^ base) >>> 12) == 0) {
                            off = ((int) target & 0xFFF) >>> 1;
                        } else {
                            base = target - 4096;
                            off = MemorySystem.CODE_SLOTS;
                        }
                        continue;
                    }
                }
                case BNE -> {
                    if (Semantics.bne(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)])) {
                        long target = base + (off << 1) + (d >> 32);
                        if (((target ^ base) >>> 12) == 0) {
                            off = ((int) target & 0xFFF) >>> 1;
                        } else {
                            base = target - 4096;
                            off = MemorySystem.CODE_SLOTS;
                        }
                        continue;
                    }
                }
                case BLT -> {
                    if (Semantics.blt(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)])) {
                        long target = base + (off << 1) + (d >> 32);
                        if (((target ^ base) >>> 12) == 0) {
                            off = ((int) target & 0xFFF) >>> 1;
                        } else {
                            base = target - 4096;
                            off = MemorySystem.CODE_SLOTS;
                        }
                        continue;
                    }
                }
                case BGE -> {
                    if (Semantics.bge(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)])) {
                        long target = base + (off << 1) + (d >> 32);
                        if (((target ^ base) >>> 12) == 0) {
                            off = ((int) target & 0xFFF) >>> 1;
                        } else {
                            base = target - 4096;
                            off = MemorySystem.CODE_SLOTS;
                        }
                        continue;
                    }
                }
                case BLTU -> {
                    if (Semantics.bltu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)])) {
                        long target = base + (off << 1) + (d >> 32);
                        if (((target ^ base) >>> 12) == 0) {
                            off = ((int) target & 0xFFF) >>> 1;
                        } else {
                            base = target - 4096;
                            off = MemorySystem.CODE_SLOTS;
                        }
                        continue;
                    }
                }
                case BGEU -> {
                    if (Semantics.bgeu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)])) {
                        long target = base + (off << 1) + (d >> 32);
                        if (((target ^ base) >>> 12) == 0) {
                            off = ((int) target & 0xFFF) >>> 1;
                        } else {
                            base = target - 4096;
                            off = MemorySystem.CODE_SLOTS;
                        }
                        continue;
                    }
                }
                case LD -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 8);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.ld(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case LW -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 4);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.lw(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case LWU -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 4);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.lwu(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case LH -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 2);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.lh(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case LHU -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 2);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.lhu(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case LB -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 1);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.lb(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case LBU -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.readable(t, va, 1);
                    if (p != null) {
                        x[((int) d >>> 9 & 63)] = Semantics.lbu(p, (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, base + (off << 1), max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case SD -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.writable(t, va, 8);
                    if (p != null) {
                        Semantics.sd(p, (int) va & 0xFFF, x[((int) d >>> 20 & 31)]);
                    } else if (Mmu.storeSlow(this, 8, va, x[((int) d >>> 20 & 31)], base + (off << 1), d, max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SW -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.writable(t, va, 4);
                    if (p != null) {
                        Semantics.sw(p, (int) va & 0xFFF, x[((int) d >>> 20 & 31)]);
                    } else if (Mmu.storeSlow(this, 4, va, x[((int) d >>> 20 & 31)], base + (off << 1), d, max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SH -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.writable(t, va, 2);
                    if (p != null) {
                        Semantics.sh(p, (int) va & 0xFFF, x[((int) d >>> 20 & 31)]);
                    } else if (Mmu.storeSlow(this, 2, va, x[((int) d >>> 20 & 31)], base + (off << 1), d, max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SB -> {
                    long va = x[((int) d >>> 15 & 31)] + (d >> 32);
                    byte[] p = Semantics.writable(t, va, 1);
                    if (p != null) {
                        Semantics.sb(p, (int) va & 0xFFF, x[((int) d >>> 20 & 31)]);
                    } else if (Mmu.storeSlow(this, 1, va, x[((int) d >>> 20 & 31)], base + (off << 1), d, max - left)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SLTI -> x[((int) d >>> 9 & 63)] = Semantics.slt(x[((int) d >>> 15 & 31)], d >> 32);
                case SLTIU -> x[((int) d >>> 9 & 63)] = Semantics.sltu(x[((int) d >>> 15 & 31)], d >> 32);
                case XORI -> x[((int) d >>> 9 & 63)] = Semantics.xor(x[((int) d >>> 15 & 31)], d >> 32);
                case ORI -> x[((int) d >>> 9 & 63)] = Semantics.or(x[((int) d >>> 15 & 31)], d >> 32);
                case ANDI -> x[((int) d >>> 9 & 63)] = Semantics.and(x[((int) d >>> 15 & 31)], d >> 32);
                case SLLI -> x[((int) d >>> 9 & 63)] = Semantics.sll(x[((int) d >>> 15 & 31)], d >> 32);
                case SRLI -> x[((int) d >>> 9 & 63)] = Semantics.srl(x[((int) d >>> 15 & 31)], d >> 32);
                case SRAI -> x[((int) d >>> 9 & 63)] = Semantics.sra(x[((int) d >>> 15 & 31)], d >> 32);
                case ADDIW -> x[((int) d >>> 9 & 63)] = Semantics.addw(x[((int) d >>> 15 & 31)], d >> 32);
                case SLLIW -> x[((int) d >>> 9 & 63)] = Semantics.sllw(x[((int) d >>> 15 & 31)], d >> 32);
                case SRLIW -> x[((int) d >>> 9 & 63)] = Semantics.srlw(x[((int) d >>> 15 & 31)], d >> 32);
                case SRAIW -> x[((int) d >>> 9 & 63)] = Semantics.sraw(x[((int) d >>> 15 & 31)], d >> 32);
                case ADD -> x[((int) d >>> 9 & 63)] = Semantics.add(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SUB -> x[((int) d >>> 9 & 63)] = Semantics.sub(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SLL -> x[((int) d >>> 9 & 63)] = Semantics.sll(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SLT -> x[((int) d >>> 9 & 63)] = Semantics.slt(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SLTU -> x[((int) d >>> 9 & 63)] = Semantics.sltu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case XOR -> x[((int) d >>> 9 & 63)] = Semantics.xor(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SRL -> x[((int) d >>> 9 & 63)] = Semantics.srl(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SRA -> x[((int) d >>> 9 & 63)] = Semantics.sra(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case OR -> x[((int) d >>> 9 & 63)] = Semantics.or(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case AND -> x[((int) d >>> 9 & 63)] = Semantics.and(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case ADDW -> x[((int) d >>> 9 & 63)] = Semantics.addw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SUBW -> x[((int) d >>> 9 & 63)] = Semantics.subw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SLLW -> x[((int) d >>> 9 & 63)] = Semantics.sllw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SRLW -> x[((int) d >>> 9 & 63)] = Semantics.srlw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case SRAW -> x[((int) d >>> 9 & 63)] = Semantics.sraw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case MUL -> x[((int) d >>> 9 & 63)] = Semantics.mul(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case MULW -> x[((int) d >>> 9 & 63)] = Semantics.mulw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case MULH -> x[((int) d >>> 9 & 63)] = Semantics.mulh(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case MULHSU -> x[((int) d >>> 9 & 63)] = Semantics.mulhsu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case MULHU -> x[((int) d >>> 9 & 63)] = Semantics.mulhu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case DIV -> x[((int) d >>> 9 & 63)] = Semantics.div(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case DIVU -> x[((int) d >>> 9 & 63)] = Semantics.divu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case REM -> x[((int) d >>> 9 & 63)] = Semantics.rem(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case REMU -> x[((int) d >>> 9 & 63)] = Semantics.remu(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case DIVW -> x[((int) d >>> 9 & 63)] = Semantics.divw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case DIVUW -> x[((int) d >>> 9 & 63)] = Semantics.divuw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case REMW -> x[((int) d >>> 9 & 63)] = Semantics.remw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case REMUW -> x[((int) d >>> 9 & 63)] = Semantics.remuw(x[((int) d >>> 15 & 31)], x[((int) d >>> 20 & 31)]);
                case FLW, FLD, FSW, FSD, FP_OP, FP_FMA -> {
                    this.pc = base + (off << 1);
                    sliceSteps = max - left - 1;
                    if (Fpu.execute(this, d)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                    if (mem.translator != null) {
                        // translated code stopped before this: fetch the next one afresh, so
                        // a region there is entered (or counted) rather than interpreted past
                        base = this.pc + (4 - (((int) d >>> 7) & 2)) - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case FENCE -> {
                    // One hart at a time over one memory: every access is already ordered.
                }
                case AMO -> {
                    this.pc = base + (off << 1);
                    if (Atomics.execute(this, d)) {
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                    if (mem.translator != null) {
                        base = this.pc + 4 - 4096;    // as for floating point above
                        off = MemorySystem.CODE_SLOTS;
                        continue;
                    }
                }
                case ENTER -> {
                    // The head of a translated block: the region runs as far as the budget allows.
                    int l = Translator.enter(this, code, d, base, off, left + 1, max);
                    if (l == left + 1) {
                        // It could not cover its first block (or its page changed): step the
                        // instruction it replaced once from a page of sentinels.
                        left++;
                        scratch[scratchSlot] = PAGE_END_SLOT;
                        scratch[off] = Translator.original(this, d, off);
                        scratchSlot = off;
                        code = scratch;
                        continue;
                    }
                    left = l;
                    base = this.pc - 4096;
                    off = MemorySystem.CODE_SLOTS;
                    if (exitSlice) {
                        break loop;
                    }
                    continue;
                }
                case UNDECODED -> {
                    left++;
                    long decoded = Mmu.decodeSlot(this, code, off, base + (off << 1));
                    if (code[off] != decoded) {
                        // Straddles two pages or could not be fetched: run it once from a page of
                        // sentinels, so whatever follows is fetched afresh.
                        scratch[scratchSlot] = PAGE_END_SLOT;
                        scratch[off] = decoded;
                        scratchSlot = off;
                        code = scratch;
                    }
                    continue;
                }
                case PAGE_END -> {
                    left++;
                    long pc = base + (off << 1);
                    this.pc = pc;
                    sliceSteps = max - left;
                    long[] c = Mmu.fetchPage(this, pc);
                    if (c == null) { // fetch fault: trap taken, counts as a step
                        left--;
                        base = this.pc - 4096;
                        off = MemorySystem.CODE_SLOTS;
                        if (exitSlice) {
                            break loop;     // the trap found the hart stuck (Privileged.stuck)
                        }
                        continue;
                    }
                    code = c;
                    base = pc & ~0xFFFL;
                    off = ((int) pc & 0xFFF) >>> 1;
                    if (mem.translator != null) {
                        mem.translator.entered(c, off, left == max);
                    }
                    continue;
                }
                default -> {
                    // ILLEGAL, FETCH_FAULT and the system operations: rare, may trap or change context.
                    this.pc = base + (off << 1);
                    sliceSteps = max - left - 1;
                    Privileged.execute(this, d);
                    base = this.pc - 4096;
                    off = MemorySystem.CODE_SLOTS;
                    if (exitSlice) {
                        break loop;
                    }
                    continue;
                }
            }
            off += 2 - (((int) d >>> 8) & 1);
        }
        this.pc = base + (off << 1);
        exitSlice = false;
        int n = max - left;
        steps += n;
        sliceSteps = 0;
        return n;
    }
}
