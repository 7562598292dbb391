package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Op.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One RV64IMAC hart: its architectural state (registers, pc, privilege, CSRs, reservation, WFI) and
 * the interpreter that runs it. Privileged operations live in {@link Privileged} and {@link Csrs},
 * address translation and slow memory accesses in {@link Mmu}.
 *
 * <p>{@link #interpret(int)} is the hot loop. It is deliberately one long method (a {@code switch}
 * over pre-decoded operations) kept under HotSpot's 8000-byte compile limit: common ALU, branch and
 * aligned RAM accesses through the software TLB stay inline; anything rare (traps, CSRs, MMIO,
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
    /** Cause and address of the last failed translation or straddling fetch. */
    int faultCause;
    long faultTval;
    /** Set by a slow path that wants the interpreter to end its slice after this instruction. */
    boolean exitSlice;
    private long context = Long.MIN_VALUE;

    public Hart(int id, MemorySystem mem, HartHost host) {
        this.id = id;
        this.mem = mem;
        this.host = host;
        mem.attach(tlb);
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
        long v = Csrs.read(this, number, false);
        return Csrs.missing ? -1 : v;
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
        final long[] rTag = t.rTag;
        final byte[][] rPage = t.rPage;
        final long[] wTag = t.wTag;
        final byte[][] wPage = t.wPage;
        long pc = this.pc;
        long[] code = null;
        long codeVpn = -1;
        int n = 0;
        loop:
        while (n < max) {
            long vpn = pc >>> 12;
            if (vpn != codeVpn) {
                this.pc = pc;
                sliceSteps = n;
                code = Mmu.fetchPage(this, pc);
                if (code == null) { // fetch fault: trap taken, counts as a step
                    n++;
                    pc = this.pc;
                    continue;
                }
                codeVpn = vpn;
            }
            int slot = ((int) pc & 0xFFF) >>> 1;
            long d = code[slot];
            if (d == 0) {
                d = Mmu.decodeSlot(this, code, slot, pc);
            }
            n++;
            final int rd = ((int) d >>> 9) & 63;
            final int rs1 = ((int) d >>> 15) & 31;
            final int rs2 = ((int) d >>> 20) & 31;
            final long imm = d >> 32;
            final int len = 4 - (((int) d >>> 7) & 2);
            switch ((int) d & 0xFF) {
                case ADDI -> x[rd] = x[rs1] + imm;
                case LUI -> x[rd] = imm;
                case AUIPC -> x[rd] = pc + imm;
                case JAL -> {
                    x[rd] = pc + len;
                    pc += imm;
                    continue;
                }
                case JALR -> {
                    long target = (x[rs1] + imm) & ~1L;
                    x[rd] = pc + len;
                    pc = target;
                    continue;
                }
                case BEQ -> {
                    if (x[rs1] == x[rs2]) {
                        pc += imm;
                        continue;
                    }
                }
                case BNE -> {
                    if (x[rs1] != x[rs2]) {
                        pc += imm;
                        continue;
                    }
                }
                case BLT -> {
                    if (x[rs1] < x[rs2]) {
                        pc += imm;
                        continue;
                    }
                }
                case BGE -> {
                    if (x[rs1] >= x[rs2]) {
                        pc += imm;
                        continue;
                    }
                }
                case BLTU -> {
                    if (Long.compareUnsigned(x[rs1], x[rs2]) < 0) {
                        pc += imm;
                        continue;
                    }
                }
                case BGEU -> {
                    if (Long.compareUnsigned(x[rs1], x[rs2]) >= 0) {
                        pc += imm;
                        continue;
                    }
                }
                case LD -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (rTag[i] == va >>> 12 && (va & 7) == 0) {
                        x[rd] = (long) I64.get(rPage[i], (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, pc, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        continue;
                    }
                }
                case LW -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (rTag[i] == va >>> 12 && (va & 3) == 0) {
                        x[rd] = (int) I32.get(rPage[i], (int) va & 0xFFF);
                    } else if (Mmu.loadSlow(this, d, va, pc, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        continue;
                    }
                }
                case LWU -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (rTag[i] == va >>> 12 && (va & 3) == 0) {
                        x[rd] = (int) I32.get(rPage[i], (int) va & 0xFFF) & 0xFFFF_FFFFL;
                    } else if (Mmu.loadSlow(this, d, va, pc, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        continue;
                    }
                }
                case LH, LHU -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (rTag[i] == va >>> 12 && (va & 1) == 0) {
                        short v = (short) I16.get(rPage[i], (int) va & 0xFFF);
                        x[rd] = ((int) d & 0xFF) == LH ? v : v & 0xFFFFL;
                    } else if (Mmu.loadSlow(this, d, va, pc, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        continue;
                    }
                }
                case LB, LBU -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (rTag[i] == va >>> 12) {
                        byte v = rPage[i][(int) va & 0xFFF];
                        x[rd] = ((int) d & 0xFF) == LB ? v : v & 0xFFL;
                    } else if (Mmu.loadSlow(this, d, va, pc, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        continue;
                    }
                }
                case SD -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (wTag[i] == va >>> 12 && (va & 7) == 0) {
                        I64.set(wPage[i], (int) va & 0xFFF, x[rs2]);
                    } else if (Mmu.storeSlow(this, 8, va, x[rs2], pc, len, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SW -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (wTag[i] == va >>> 12 && (va & 3) == 0) {
                        I32.set(wPage[i], (int) va & 0xFFF, (int) x[rs2]);
                    } else if (Mmu.storeSlow(this, 4, va, x[rs2], pc, len, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SH -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (wTag[i] == va >>> 12 && (va & 1) == 0) {
                        I16.set(wPage[i], (int) va & 0xFFF, (short) x[rs2]);
                    } else if (Mmu.storeSlow(this, 2, va, x[rs2], pc, len, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SB -> {
                    long va = x[rs1] + imm;
                    int i = (int) (va >>> 12) & Tlb.MASK;
                    if (wTag[i] == va >>> 12) {
                        wPage[i][(int) va & 0xFFF] = (byte) x[rs2];
                    } else if (Mmu.storeSlow(this, 1, va, x[rs2], pc, len, n)) {
                        pc = this.pc;
                        codeVpn = -1;
                        if (exitSlice) {
                            break loop;
                        }
                        continue;
                    }
                }
                case SLTI -> x[rd] = x[rs1] < imm ? 1 : 0;
                case SLTIU -> x[rd] = Long.compareUnsigned(x[rs1], imm) < 0 ? 1 : 0;
                case XORI -> x[rd] = x[rs1] ^ imm;
                case ORI -> x[rd] = x[rs1] | imm;
                case ANDI -> x[rd] = x[rs1] & imm;
                case SLLI -> x[rd] = x[rs1] << imm;
                case SRLI -> x[rd] = x[rs1] >>> imm;
                case SRAI -> x[rd] = x[rs1] >> imm;
                case ADD -> x[rd] = x[rs1] + x[rs2];
                case SUB -> x[rd] = x[rs1] - x[rs2];
                case SLL -> x[rd] = x[rs1] << x[rs2];
                case SLT -> x[rd] = x[rs1] < x[rs2] ? 1 : 0;
                case SLTU -> x[rd] = Long.compareUnsigned(x[rs1], x[rs2]) < 0 ? 1 : 0;
                case XOR -> x[rd] = x[rs1] ^ x[rs2];
                case SRL -> x[rd] = x[rs1] >>> x[rs2];
                case SRA -> x[rd] = x[rs1] >> x[rs2];
                case OR -> x[rd] = x[rs1] | x[rs2];
                case AND -> x[rd] = x[rs1] & x[rs2];
                case ADDIW -> x[rd] = (int) (x[rs1] + imm);
                case SLLIW -> x[rd] = (int) x[rs1] << imm;
                case SRLIW -> x[rd] = (int) x[rs1] >>> imm;
                case SRAIW -> x[rd] = (int) x[rs1] >> imm;
                case ADDW -> x[rd] = (int) (x[rs1] + x[rs2]);
                case SUBW -> x[rd] = (int) (x[rs1] - x[rs2]);
                case SLLW -> x[rd] = (int) x[rs1] << x[rs2];
                case SRLW -> x[rd] = (int) x[rs1] >>> x[rs2];
                case SRAW -> x[rd] = (int) x[rs1] >> x[rs2];
                case MUL -> x[rd] = x[rs1] * x[rs2];
                case MULW -> x[rd] = (int) x[rs1] * (int) x[rs2];
                case MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU, DIVW, DIVUW, REMW, REMUW ->
                        x[rd] = Alu.muldiv((int) d & 0xFF, x[rs1], x[rs2]);
                case FENCE -> {
                    // One hart at a time over one memory: every access is already ordered.
                }
                case AMO -> {
                    this.pc = pc;
                    if (Atomics.execute(this, d)) {
                        pc = this.pc;
                        codeVpn = -1;
                        continue;
                    }
                }
                default -> {
                    // ILLEGAL, CROSS_PAGE and the system operations: rare, may trap or change context.
                    this.pc = pc;
                    sliceSteps = n - 1;
                    Privileged.execute(this, d);
                    pc = this.pc;
                    codeVpn = -1;
                    if (exitSlice) {
                        break loop;
                    }
                    continue;
                }
            }
            pc += len;
        }
        this.pc = pc;
        exitSlice = false;
        steps += n;
        sliceSteps = 0;
        return n;
    }
}
