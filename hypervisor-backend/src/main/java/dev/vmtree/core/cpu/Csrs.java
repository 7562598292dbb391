package dev.vmtree.core.cpu;

/**
 * The control and status registers: numbers, WARL masks, reads and writes with the privilege
 * checks of Zicsr. PMP registers exist as plain storage with no effect (OpenSBI programs them; vmtree
 * enforces no physical protection beyond the bus map). Debug trigger registers read as zero
 * (tselect hard-wired: no triggers). On harts with F/D, {@code mstatus.FS} is writable (SD reads as
 * FS == Dirty) and fflags, frm and fcsr exist while FS is not Off; on harts without, FS is zero and
 * those CSRs do not exist, exactly as before F/D was implemented.
 */
final class Csrs {
    private Csrs() {}

    // mstatus bits
    static final long SIE = 1L << 1, MIE = 1L << 3, SPIE = 1L << 5, MPIE = 1L << 7, SPP = 1L << 8,
            MPP = 3L << 11, MPRV = 1L << 17, SUM = 1L << 18, MXR = 1L << 19, TVM = 1L << 20, TW = 1L << 21,
            TSR = 1L << 22, FS = 3L << 13, SD = 1L << 63;
    static final long MSTATUS_XLEN = (2L << 32) | (2L << 34); // UXL = SXL = 64 bits, read-only
    static final long MSTATUS_WRITABLE = SIE | MIE | SPIE | MPIE | SPP | MPP | MPRV | SUM | MXR | TVM | TW | TSR;
    static final long SSTATUS_VISIBLE = SIE | SPIE | SPP | SUM | MXR | (3L << 32) | (3L << 13) | (3L << 15)
            | (1L << 63);
    static final long SSTATUS_WRITABLE = SIE | SPIE | SPP | SUM | MXR;

    // interrupt bits (mip/mie)
    static final long SSIP = 1L << 1, MSIP = 1L << 3, STIP = 1L << 5, MTIP = 1L << 7, SEIP = 1L << 9,
            MEIP = 1L << 11;
    static final long MIE_WRITABLE = SSIP | MSIP | STIP | MTIP | SEIP | MEIP;
    static final long MIP_WRITABLE = SSIP | STIP | SEIP;
    static final long MIDELEG_MASK = SSIP | STIP | SEIP;
    /** Exceptions that may be delegated: all defined causes except ecall from M. */
    static final long MEDELEG_MASK = 0xB3FFL;

    /** RV64 with A, C, I, M, S, U; F and D are added on harts that have them. */
    static final long MISA = (2L << 62) | (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
    static final long MISA_FD = (1 << 3) | (1 << 5);
    static final int FFLAGS = 0x001, FRM = 0x002, FCSR = 0x003;

    static final int SSTATUS = 0x100, SIE_CSR = 0x104, STVEC = 0x105, SCOUNTEREN = 0x106, SENVCFG = 0x10A,
            SSCRATCH = 0x140, SEPC = 0x141, SCAUSE = 0x142, STVAL = 0x143, SIP = 0x144, SATP = 0x180;
    static final int MSTATUS = 0x300, MISA_CSR = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE_CSR = 0x304,
            MTVEC = 0x305, MCOUNTEREN = 0x306, MENVCFG = 0x30A, MCOUNTINHIBIT = 0x320, MSCRATCH = 0x340,
            MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MIP_CSR = 0x344;
    static final int CYCLE = 0xC00, TIME = 0xC01, INSTRET = 0xC02, MCYCLE = 0xB00, MINSTRET = 0xB02;


    /** Whether the current privilege may access the CSR at all (number encodes the lowest privilege). */
    static boolean accessible(Hart h, int csr, boolean write) {
        if (h.priv < ((csr >>> 8) & 3)) {
            return false;
        }
        if (csr >= FFLAGS && csr <= FCSR && (!h.fpu || (h.mstatus & FS) == 0)) {
            return false;
        }
        if (write && (csr >>> 10) == 3) {
            return false;
        }
        if (csr == SATP && h.priv == Hart.PRIV_S && (h.mstatus & TVM) != 0) {
            return false;
        }
        if (csr >= CYCLE && csr <= 0xC1F && h.priv < Hart.PRIV_M) {
            int bit = csr - CYCLE;
            if (((h.mcounteren >>> bit) & 1) == 0) {
                return false;
            }
            if (h.priv == Hart.PRIV_U && ((h.scounteren >>> bit) & 1) == 0) {
                return false;
            }
        }
        return true;
    }

    private static long sip(Hart h) {
        return h.mip & h.mideleg;
    }

    /** Reads a CSR; sets {@code h.csrMissing} when it does not exist. Privilege checks are {@link #accessible}'s. */
    static long read(Hart h, int csr) {
        h.csrMissing = false;
        long instret = h.steps + h.sliceSteps;
        switch (csr) {
            case FFLAGS: if (h.fpu) return h.fcsr & 0x1F; return missingCsr(h);
            case FRM: if (h.fpu) return (h.fcsr >>> 5) & 7; return missingCsr(h);
            case FCSR: if (h.fpu) return h.fcsr; return missingCsr(h);
            case SSTATUS: return status(h) & SSTATUS_VISIBLE;
            case SIE_CSR: return h.mie & h.mideleg;
            case STVEC: return h.stvec;
            case SCOUNTEREN: return h.scounteren;
            case SENVCFG: return h.senvcfg;
            case SSCRATCH: return h.sscratch;
            case SEPC: return h.sepc;
            case SCAUSE: return h.scause;
            case STVAL: return h.stval;
            case SIP: return sip(h);
            case SATP: return h.satp;
            case MSTATUS: return status(h);
            case MISA_CSR: return h.fpu ? MISA | MISA_FD : MISA;
            case MEDELEG: return h.medeleg;
            case MIDELEG: return h.mideleg;
            case MIE_CSR: return h.mie;
            case MTVEC: return h.mtvec;
            case MCOUNTEREN: return h.mcounteren;
            case MENVCFG: return h.menvcfg;
            case MCOUNTINHIBIT: return 0;
            case MSCRATCH: return h.mscratch;
            case MEPC: return h.mepc;
            case MCAUSE: return h.mcause;
            case MTVAL: return h.mtval;
            case MIP_CSR: return h.mip;
            case 0xF11, 0xF12, 0xF13, 0xF15: return 0; // mvendorid, marchid, mimpid, mconfigptr
            case 0xF14: return h.id;
            case 0x7A0, 0x7A1, 0x7A2, 0x7A3: return 0; // tselect, tdata1..3: no triggers
            case CYCLE, MCYCLE: return instret + h.cycleOffset;
            case INSTRET, MINSTRET: return instret + h.instretOffset;
            case TIME: return h.time();
            default:
                if (csr >= 0x3A0 && csr <= 0x3AF) {
                    return (csr & 1) != 0 ? missingCsr(h) : h.pmpcfg[csr - 0x3A0];
                }
                if (csr >= 0x3B0 && csr <= 0x3EF) return h.pmpaddr[csr - 0x3B0];
                if ((csr >= 0xC03 && csr <= 0xC1F) || (csr >= 0xB03 && csr <= 0xB1F) || (csr >= 0x323 && csr <= 0x33F)) {
                    return 0; // hpm counters and events: present, count nothing
                }
                return missingCsr(h);
        }
    }

    private static long missingCsr(Hart h) {
        h.csrMissing = true;
        return 0;
    }

    private static long status(Hart h) {
        return h.mstatus | MSTATUS_XLEN | ((h.mstatus & FS) == FS ? SD : 0);
    }

    /** Writes a CSR (already checked accessible and existing). May change translation context or interrupts. */
    static void write(Hart h, int csr, long v) {
        long instretNext = h.steps + h.sliceSteps + 1;
        long fs = h.fpu ? FS : 0;
        switch (csr) {
            case FFLAGS -> fcsr(h, (h.fcsr & ~0x1F) | (int) (v & 0x1F));
            case FRM -> fcsr(h, (h.fcsr & 0x1F) | (int) (v & 7) << 5);
            case FCSR -> fcsr(h, (int) (v & 0xFF));
            case SSTATUS -> setStatus(h, (h.mstatus & ~(SSTATUS_WRITABLE | fs)) | (v & (SSTATUS_WRITABLE | fs)));
            case SIE_CSR -> h.mie = (h.mie & ~h.mideleg) | (v & h.mideleg & MIE_WRITABLE);
            case STVEC -> h.stvec = v & ~2L;
            case SCOUNTEREN -> h.scounteren = v & 0xFFFF_FFFFL;
            case SENVCFG -> h.senvcfg = v & 1;
            case SSCRATCH -> h.sscratch = v;
            case SEPC -> h.sepc = v & ~1L;
            case SCAUSE -> h.scause = v;
            case STVAL -> h.stval = v;
            case SIP -> h.mip = (h.mip & ~(h.mideleg & SSIP)) | (v & h.mideleg & SSIP);
            case SATP -> {
                long mode = v >>> 60;
                if (mode == 0 || mode == 8 || mode == 9) {
                    h.satp = mode == 0 ? 0 : v & 0xF000_FFFF_FFFF_FFFFL;
                    h.forceFlush();
                }
            }
            case MSTATUS -> setStatus(h, v & (MSTATUS_WRITABLE | fs));
            case MEDELEG -> h.medeleg = v & MEDELEG_MASK;
            case MIDELEG -> h.mideleg = v & MIDELEG_MASK;
            case MIE_CSR -> h.mie = v & MIE_WRITABLE;
            case MTVEC -> h.mtvec = v & ~2L;
            case MCOUNTEREN -> h.mcounteren = v & 0xFFFF_FFFFL;
            case MENVCFG -> h.menvcfg = v & 1;
            case MSCRATCH -> h.mscratch = v;
            case MEPC -> h.mepc = v & ~1L;
            case MCAUSE -> h.mcause = v;
            case MTVAL -> h.mtval = v;
            case MIP_CSR -> h.mip = (h.mip & ~MIP_WRITABLE) | (v & MIP_WRITABLE);
            case MCYCLE -> h.cycleOffset = v - instretNext;
            case MINSTRET -> h.instretOffset = v - instretNext;
            default -> {
                if (csr >= 0x3A0 && csr <= 0x3AF) {
                    h.pmpcfg[csr - 0x3A0] = v & 0x9F9F_9F9F_9F9F_9F9FL; // bits 5-6 of each byte are reserved
                } else if (csr >= 0x3B0 && csr <= 0x3EF) {
                    h.pmpaddr[csr - 0x3B0] = v & ((1L << 54) - 1);
                }
                // everything else that exists is read-only zero or WARL-ignored
            }
        }
    }

    private static void fcsr(Hart h, int v) {
        h.fcsr = v;
        h.mstatus |= FS;
    }

    private static void setStatus(Hart h, long v) {
        if (((v >>> 11) & 3) == 2) {
            v &= ~MPP; // MPP is WARL: the reserved encoding becomes U
        }
        h.mstatus = v;
        h.contextChanged();
    }
}
