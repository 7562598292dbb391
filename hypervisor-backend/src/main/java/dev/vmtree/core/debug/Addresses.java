package dev.vmtree.core.debug;

import dev.vmtree.core.Machine;
import dev.vmtree.core.cpu.Hart;

/**
 * How a debugger's addresses reach guest memory: as virtual addresses of a hart, translated
 * through its page table the way its data accesses are (Sv39/Sv48), but without touching the
 * accessed and dirty bits, so looking never changes the machine. With translation off (or in
 * M-mode) an address is physical.
 */
final class Addresses {
    private static final int SATP = 0x180;
    private static final long PPN_MASK = (1L << 44) - 1;

    private Addresses() {}

    /** The physical address {@code va} maps to for {@code hart} now, or -1 when it is not mapped. */
    static long physical(Machine m, int hart, long va) {
        Hart h = m.hart(hart);
        long satp = h.csr(SATP);
        long mode = satp >>> 60;
        if (h.privilege() == Hart.PRIV_M || mode == 0 || satp == -1) {
            return va;
        }
        if (mode != 8 && mode != 9) {
            return -1;
        }
        int levels = mode == 8 ? 3 : 4;
        int vaBits = 12 + 9 * levels;
        if ((va << (64 - vaBits)) >> (64 - vaBits) != va) {
            return -1;
        }
        long table = (satp & PPN_MASK) << 12;
        byte[] b = new byte[8];
        for (int level = levels - 1; level >= 0; level--) {
            long pteAddr = table + ((va >>> (12 + 9 * level)) & 0x1FF) * 8;
            if (!m.memory().readRam(pteAddr, b, 0, 8)) {
                return -1;
            }
            long pte = 0;
            for (int i = 7; i >= 0; i--) {
                pte = pte << 8 | (b[i] & 0xFF);
            }
            if ((pte & 1) == 0 || ((pte & 2) == 0 && (pte & 4) != 0)) {
                return -1;
            }
            long ppn = (pte >>> 10) & PPN_MASK;
            if ((pte & (2 | 8)) == 0) {
                table = ppn << 12;
                continue;
            }
            long offsetMask = (1L << (12 + 9 * level)) - 1;
            return (ppn << 12) & ~offsetMask | va & offsetMask;
        }
        return -1;
    }

    /** Reads {@code dst.length} bytes at virtual {@code va} page by page; false when any byte is not in RAM. */
    static boolean read(Machine m, int hart, long va, byte[] dst) {
        int done = 0;
        while (done < dst.length) {
            long a = va + done;
            int n = (int) Math.min(dst.length - done, 4096 - (a & 4095));
            long pa = physical(m, hart, a);
            if (pa < 0 || !m.memory().readRam(pa, dst, done, n)) {
                return false;
            }
            done += n;
        }
        return true;
    }

    /** Writes {@code src} at virtual {@code va}; false (nothing written past the failure) when not in RAM. */
    static boolean write(Machine m, int hart, long va, byte[] src) {
        int done = 0;
        while (done < src.length) {
            long a = va + done;
            int n = (int) Math.min(src.length - done, 4096 - (a & 4095));
            long pa = physical(m, hart, a);
            if (pa < 0 || !m.bus().isRam(pa, n)) {
                return false;
            }
            m.memory().writeRam(pa, src, done, n);
            done += n;
        }
        m.memory().invalidateCode();
        return true;
    }
}
