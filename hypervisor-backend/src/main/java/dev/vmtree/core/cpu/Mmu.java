package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Hart.I16;
import static dev.vmtree.core.cpu.Hart.I32;
import static dev.vmtree.core.cpu.Hart.I64;

/**
 * Address translation (bare, Sv39, Sv48) and the slow paths of instruction fetch, loads and stores:
 * TLB misses, accesses that cross a page (done byte by byte, as the spec allows), MMIO and faults.
 * A misaligned access inside one page of RAM is done in place, like an aligned one; on MMIO it is an
 * access fault.
 *
 * <p>A/D bits are set by the walker itself (Svadu behaviour, as QEMU 7.2 does): the first read
 * through a PTE sets A, the first write sets A and D. Because TLB entries are filled only by such a
 * walk, a cached entry always has its bits set; a guest that clears them must sfence.vma, as the
 * spec requires. PBMT/NAPOT bits (63:54) are reserved here and fault.
 */
final class Mmu {
    private Mmu() {}

    static final int READ = 0, WRITE = 1, EXEC = 2;
    static final long PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;
    static final long PPN_MASK = (1L << 44) - 1;
    private static final int[] PAGE_FAULT = {Trap.LOAD_PAGE_FAULT, Trap.STORE_PAGE_FAULT, Trap.FETCH_PAGE_FAULT};
    private static final int[] ACCESS_FAULT = {Trap.LOAD_ACCESS, Trap.STORE_ACCESS, Trap.FETCH_ACCESS};

    /** Cause of the last failed {@link #translate}. */
    static int lastCause(Hart h) {
        return h.faultCause;
    }

    /**
     * Translates a virtual address for an access, or returns -1 with {@code h.faultCause} set.
     * Physical addresses returned may still be unmapped; callers check RAM/MMIO.
     */
    static long translate(Hart h, long va, int access) {
        int p = h.priv;
        if (access != EXEC && p == Hart.PRIV_M && (h.mstatus & Csrs.MPRV) != 0) {
            p = (int) (h.mstatus >>> 11) & 3;
        }
        long mode = h.satp >>> 60;
        if (p == Hart.PRIV_M || mode == 0) {
            return va;
        }
        int levels = mode == 8 ? 3 : 4;
        int vaBits = 12 + 9 * levels;
        if ((va << (64 - vaBits)) >> (64 - vaBits) != va) {
            h.faultCause = PAGE_FAULT[access];
            return -1;
        }
        MemorySystem mem = h.mem;
        long table = (h.satp & PPN_MASK) << 12;
        for (int level = levels - 1; level >= 0; level--) {
            long pteAddr = table + ((va >>> (12 + 9 * level)) & 0x1FF) * 8;
            if (mem.ramPage(pteAddr) < 0) {
                h.faultCause = ACCESS_FAULT[access];
                return -1;
            }
            long pte = mem.load(pteAddr, 8);
            if ((pte & PTE_V) == 0 || ((pte & PTE_R) == 0 && (pte & PTE_W) != 0) || (pte >>> 54) != 0) {
                break;
            }
            long ppn = (pte >>> 10) & PPN_MASK;
            if ((pte & (PTE_R | PTE_X)) == 0) {
                table = ppn << 12;
                continue;
            }
            if (level > 0 && (ppn & ((1L << (9 * level)) - 1)) != 0) {
                break; // misaligned superpage
            }
            boolean user = (pte & PTE_U) != 0;
            if (p == Hart.PRIV_U ? !user : user && (access == EXEC || (h.mstatus & Csrs.SUM) == 0)) {
                break;
            }
            boolean allowed = switch (access) {
                case READ -> (pte & PTE_R) != 0 || ((h.mstatus & Csrs.MXR) != 0 && (pte & PTE_X) != 0);
                case WRITE -> (pte & PTE_W) != 0;
                default -> (pte & PTE_X) != 0;
            };
            if (!allowed) {
                break;
            }
            long updated = pte | PTE_A | (access == WRITE ? PTE_D : 0);
            if (updated != pte) {
                mem.store(pteAddr, 8, updated);
            }
            long offsetMask = (1L << (12 + 9 * level)) - 1;
            return (ppn << 12) | (va & offsetMask);
        }
        h.faultCause = PAGE_FAULT[access];
        return -1;
    }

    /** The decoded page for the pc's page, filling the execute TLB; null after taking a fetch trap. */
    static long[] fetchPage(Hart h, long pc) {
        Tlb t = h.tlb;
        long vpn = pc >>> 12;
        int i = (int) vpn & Tlb.MASK;
        if (t.xTag[i] == vpn) {
            return t.xCode[i];
        }
        long pa = translate(h, pc, EXEC);
        if (pa == -1) {
            Privileged.trap(h, h.faultCause, pc);
            return null;
        }
        int ppn = h.mem.ramPage(pa);
        if (ppn < 0) {
            Privileged.trap(h, Trap.FETCH_ACCESS, pc);
            return null;
        }
        long[] c = h.mem.codePage(ppn);
        t.xTag[i] = vpn;
        t.xCode[i] = c;
        t.xPpn[i] = ppn;
        return c;
    }

    /**
     * Decodes the instruction at {@code pc} into its slot. An instruction straddling two pages is
     * decoded but not cached; if its second half cannot be fetched, a FETCH_FAULT pseudo-op results.
     */
    static long decodeSlot(Hart h, long[] code, int slot, long pc) {
        boolean breakpoint = h.mem.hasBreakpoint(pc);
        if (breakpoint && !h.mem.consumeSkip(pc)) {
            return BREAKPOINT_SLOT;
        }
        long pa = translate(h, pc, EXEC);
        int ppn = pa == -1 ? -1 : h.mem.ramPage(pa);
        if (ppn < 0) {
            return fetchFault(h, pa == -1 ? h.faultCause : Trap.FETCH_ACCESS, pc);
        }
        int low = (int) h.mem.load(pa, 2);
        long d;
        if (!Decoder.isLong(low)) {
            d = Decoder.decode16(low);
        } else if (slot != MemorySystem.CODE_SLOTS - 1) {
            d = Decoder.decode32((int) h.mem.load(pa, 4));
        } else {
            long pa2 = translate(h, pc + 2, EXEC);
            if (pa2 == -1 || h.mem.ramPage(pa2) < 0) {
                return fetchFault(h, pa2 == -1 ? h.faultCause : Trap.FETCH_ACCESS, pc + 2);
            }
            return Decoder.decode32(low | (int) h.mem.load(pa2, 2) << 16);
        }
        if (!breakpoint) {          // a breakpoint's slot stays undecoded: every execution looks again
            code[slot] = d;
        }
        return d;
    }

    private static final long BREAKPOINT_SLOT = Op.pack(Op.BREAKPOINT, false, 0, 0, 0, 0);

    private static long fetchFault(Hart h, int cause, long tval) {
        h.faultTval = tval;
        return Op.pack(Op.FETCH_FAULT, false, 0, 0, 0, cause);
    }

    /** Raw bits of the instruction at pc (for mtval of illegal instructions), 0 if unreadable. */
    static int rawInstruction(Hart h, long pc) {
        long pa = translate(h, pc, EXEC);
        if (pa == -1 || h.mem.ramPage(pa) < 0) {
            return 0;
        }
        int low = (int) h.mem.load(pa, 2);
        if (!Decoder.isLong(low)) {
            return low;
        }
        long pa2 = translate(h, pc + 2, EXEC);
        return pa2 == -1 || h.mem.ramPage(pa2) < 0 ? 0 : low | (int) h.mem.load(pa2, 2) << 16;
    }

    /** A load that missed the TLB fast path. Returns true when a trap was taken (pc in h.pc). */
    static boolean loadSlow(Hart h, long d, long va, long pc, int n) {
        h.pc = pc;
        h.sliceSteps = n - 1;
        int op = Op.op(d);
        long v = load(h, va, Semantics.size(op));
        if (h.loadTrapped) {
            return true;
        }
        h.x[Op.rd(d)] = switch (op) {
            case Op.LB -> (byte) v;
            case Op.LH -> (short) v;
            case Op.LW -> (int) v;
            default -> v;
        };
        return false;
    }

    /**
     * Loads {@code size} bytes at {@code va} (zero-extended) through translation, filling the read
     * TLB for RAM; on a fault takes the trap (epc = h.pc) and sets {@code h.loadTrapped}.
     */
    static long load(Hart h, long va, int size) {
        h.loadTrapped = false;
        long v;
        if ((va & (size - 1)) != 0 && ((va + size - 1) >>> 12) != (va >>> 12)) { // crosses a page: byte by byte
            v = 0;
            for (int k = 0; k < size; k++) {
                long pa = translate(h, va + k, READ);
                if (pa == -1) {
                    return loadTrap(h, h.faultCause, va + k);
                }
                if (h.mem.ramPage(pa) < 0) {
                    return loadTrap(h, Trap.LOAD_ACCESS, va + k);
                }
                v |= h.mem.load(pa, 1) << (8 * k);
            }
            return v;
        }
        long pa = translate(h, va, READ);
        if (pa == -1) {
            return loadTrap(h, h.faultCause, va);
        }
        int ppn = h.mem.ramPage(pa);
        if (ppn >= 0) {
            Tlb t = h.tlb;
            int i = (int) (va >>> 12) & Tlb.MASK;
            byte[] page = h.mem.readPage(ppn);
            t.rTag[i] = va >>> 12;
            t.rPage[i] = page;
            t.rPpn[i] = ppn;
            int off = (int) va & 0xFFF;
            return switch (size) {
                case 1 -> page[off] & 0xFFL;
                case 2 -> (short) I16.get(page, off) & 0xFFFFL;
                case 4 -> (int) I32.get(page, off) & 0xFFFF_FFFFL;
                default -> (long) I64.get(page, off);
            };
        }
        h.mem.fault = false;
        v = h.mem.load(pa, size);
        if (h.mem.fault) {
            h.mem.fault = false;
            return loadTrap(h, Trap.LOAD_ACCESS, va);
        }
        return v;
    }

    private static long loadTrap(Hart h, int cause, long tval) {
        Privileged.trap(h, cause, tval);
        h.loadTrapped = true;
        return 0;
    }

    /**
     * A store that missed the TLB fast path. Returns true when the interpreter must reload the pc
     * from h.pc: after a trap, or when the store asked the machine to stop (then h.exitSlice is set).
     */
    static boolean storeSlow(Hart h, int size, long va, long value, long pc, long d, int n) {
        h.pc = pc;
        h.sliceSteps = n - 1;
        MemorySystem mem = h.mem;
        if ((va & (size - 1)) != 0 && ((va + size - 1) >>> 12) != (va >>> 12)) { // crosses a page
            long pa0 = translate(h, va, WRITE);
            long pa1 = pa0 == -1 ? -1 : translate(h, va + size - 1, WRITE);
            if (pa0 == -1 || pa1 == -1) {
                Privileged.trap(h, h.faultCause, pa0 == -1 ? va : va + size - 1);
                return true;
            }
            if (mem.ramPage(pa0) < 0 || mem.ramPage(pa1) < 0) {
                Privileged.trap(h, Trap.STORE_ACCESS, va);
                return true;
            }
            for (int k = 0; k < size; k++) {
                long pa = (((va + k) >>> 12) == (va >>> 12) ? pa0 + k : (pa1 & ~0xFFFL) + ((va + k) & 0xFFF));
                mem.store(pa, 1, value >>> (8 * k));
            }
            return codeChanged(h, pc, d);
        }
        long pa = translate(h, va, WRITE);
        if (pa == -1) {
            Privileged.trap(h, h.faultCause, va);
            return true;
        }
        int ppn = mem.ramPage(pa);
        if (ppn >= 0 && mem.cacheableForWrite(ppn)) {
            byte[] page = mem.writePage(ppn);
            Tlb t = h.tlb;
            int i = (int) (va >>> 12) & Tlb.MASK;
            t.wTag[i] = va >>> 12;
            t.wPage[i] = page;
            t.wPpn[i] = ppn;
            int off = (int) va & 0xFFF;
            switch (size) {
                case 1 -> page[off] = (byte) value;
                case 2 -> I16.set(page, off, (short) value);
                case 4 -> I32.set(page, off, (int) value);
                default -> I64.set(page, off, value);
            }
            return codeChanged(h, pc, d);
        }
        mem.fault = false;
        mem.store(pa, size, value);
        if (mem.fault) {
            mem.fault = false;
            Privileged.trap(h, Trap.STORE_ACCESS, va);
            return true;
        }
        if (h.host.stopRequested()) {
            h.pc = pc + Op.length(d);
            h.exitSlice = true;
            return true;
        }
        return codeChanged(h, pc, d);
    }

    /**
     * After a store that completed: when it discarded decoded instructions (its own page's, another
     * page's, or by DMA), the hart must fetch afresh, as a hart whose instruction cache snoops its
     * stores would see the new code at the next instruction. Sets the pc past the store and returns
     * true then.
     */
    static boolean codeChanged(Hart h, long pc, long d) {
        if (!h.mem.codeDiscarded) {
            return false;
        }
        h.mem.codeDiscarded = false;
        h.pc = pc + Op.length(d);
        return true;
    }
}
