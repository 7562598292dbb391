package dev.vmtree.core.cpu;

/**
 * The A extension. LR/SC keep one reservation per hart, on the physical address; the machine clears
 * reservations on traps and whenever it switches harts, so an SC whose LR was separated from it by
 * another hart's code fails (allowed: SC may fail spuriously) and no other hart's store goes unseen.
 * Misaligned atomics raise address-misaligned exceptions; atomics on MMIO raise access faults.
 */
final class Atomics {
    private Atomics() {}

    static final int AMOADD = 0x00, AMOSWAP = 0x01, LR = 0x02, SC = 0x03, AMOXOR = 0x04, AMOOR = 0x08,
            AMOAND = 0x0C, AMOMIN = 0x10, AMOMAX = 0x14, AMOMINU = 0x18, AMOMAXU = 0x1C;

    /**
     * Executes an AMO/LR/SC; returns true when the hart must reload its pc: it trapped (h.pc at the
     * handler) or its store discarded decoded code (h.pc past it, see {@link Mmu#codeChanged}).
     */
    static boolean execute(Hart h, long d) {
        int imm = Op.imm(d);
        int f5 = imm & 31;
        int width = (imm >>> 8) == 2 ? 4 : 8;
        long va = h.x[Op.rs1(d)];
        long src = h.x[Op.rs2(d)];
        if ((va & (width - 1)) != 0) {
            Privileged.trap(h, f5 == LR ? Trap.LOAD_MISALIGNED : Trap.STORE_MISALIGNED, va);
            return true;
        }
        long pa = Mmu.translate(h, va, f5 == LR ? Mmu.READ : Mmu.WRITE);
        if (pa == -1) {
            Privileged.trap(h, h.faultCause, va);
            return true;
        }
        MemorySystem mem = h.mem;
        if (mem.ramPage(pa) < 0) {
            Privileged.trap(h, f5 == LR ? Trap.LOAD_ACCESS : Trap.STORE_ACCESS, va);
            return true;
        }
        int rd = Op.rd(d);
        if (f5 == LR) {
            long v = mem.load(pa, width);
            h.x[rd] = width == 4 ? (int) v : v;
            h.reservation = pa;
            return false;
        }
        if (f5 == SC) {
            if (h.reservation == pa) {
                mem.store(pa, width, src);
                h.x[rd] = 0;
            } else {
                h.x[rd] = 1;
            }
            h.reservation = -1;
            return Mmu.codeChanged(h, h.pc, d);
        }
        long old = mem.load(pa, width);
        if (width == 4) {
            old = (int) old;
            src = (int) src;
        }
        long result = switch (f5) {
            case AMOADD -> old + src;
            case AMOSWAP -> src;
            case AMOXOR -> old ^ src;
            case AMOOR -> old | src;
            case AMOAND -> old & src;
            case AMOMIN -> Math.min(old, src);
            case AMOMAX -> Math.max(old, src);
            case AMOMINU -> Long.compareUnsigned(old, src) < 0 ? old : src;
            default -> Long.compareUnsigned(old, src) > 0 ? old : src;
        };
        mem.store(pa, width, result);
        h.x[rd] = old;
        return Mmu.codeChanged(h, h.pc, d);
    }
}
