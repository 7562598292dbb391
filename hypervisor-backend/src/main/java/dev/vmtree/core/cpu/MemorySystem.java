package dev.vmtree.core.cpu;

import dev.vmtree.core.mem.Bus;
import dev.vmtree.core.mem.MmioDevice;
import dev.vmtree.cow.PagedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Physical memory as the harts see it: the {@link Bus} plus the caches that make it fast, kept
 * coherent with each other. It owns the per-page decode cache and knows every hart's {@link Tlb}:
 *
 * <ul>
 *   <li>A RAM page with decoded instructions is never in any write TLB, so every store to a code page
 *       takes the slow path here and discards its decoded instructions first.</li>
 *   <li>When {@link PagedImage#pageForWrite} hands out a new array (copy-on-write after a freeze, or
 *       the first write of a zero page), every read TLB entry of that page is re-pointed at it.</li>
 *   <li>When the image's {@link PagedImage#epoch()} moves (a freeze), all write TLBs are dropped.</li>
 * </ul>
 *
 * <p>Single-threaded: used only by the thread running the machine. Accesses signal an access fault
 * through {@link #fault} rather than by throwing, so the hot path stays exception-free.
 */
public final class MemorySystem {
    static final int CODE_SLOTS = Bus.PAGE_SIZE / 2;
    /**
     * Length of a decoded page: the slots, two PAGE_END sentinels (a 2- or 4-byte step off the end
     * re-fetches), the RAM page index at {@link #CODE_PPN} and the translator's entry count at
     * {@link #CODE_HEAT}; the interpreter never reads past the sentinels.
     */
    static final int CODE_PAGE_LENGTH = CODE_SLOTS + 4;
    static final int CODE_PPN = CODE_SLOTS + 2, CODE_HEAT = CODE_SLOTS + 3;
    private static final long PAGE_END_SLOT = Op.pack(Op.PAGE_END, false, 0, 0, 0, 0);

    final Bus bus;
    final PagedImage ram;
    final long ramSize;
    private final long[][] code;
    private final byte[][] writable;
    private final List<Tlb> tlbs = new ArrayList<>();
    private long epoch;

    /** Set by {@link #load}/{@link #store} when the address is unmapped (or MMIO is misused). */
    boolean fault;

    public MemorySystem(Bus bus) {
        this.bus = bus;
        this.ram = bus.ram();
        this.ramSize = ram.size();
        int pages = Math.toIntExact(ramSize >>> Bus.PAGE_SHIFT);
        this.code = new long[pages][];
        this.writable = new byte[pages][];
        this.epoch = ram.epoch();
    }

    public Bus bus() {
        return bus;
    }

    /** The engine the harts run under (see {@link Engine}). */
    private Engine engine = Engine.INTERPRETER;
    /** The translation tier, null under the interpreter. */
    Translator translator;
    /** Set whenever decoded code is discarded; a store that sets it makes the hart fetch afresh. */
    boolean codeDiscarded;

    /**
     * Switches the engine; called between runs. Leaving a translating engine removes every
     * translation, so the interpreter alone runs from then on.
     */
    public void useEngine(Engine e) {
        if (e == engine) {
            return;
        }
        if (e == Engine.INTERPRETER) {
            translator.dropAll();
            translator = null;
        } else if (translator == null) {
            translator = new Translator(this, e == Engine.EAGER);
        } else {
            translator.setEager(e == Engine.EAGER);
        }
        engine = e;
    }

    /** The live decoded page of RAM page {@code ppn}, or null. */
    long[] liveCode(int ppn) {
        return code[ppn];
    }

    /** The RAM page the translator may decode: breakpoints keep translation off. */
    boolean translatable() {
        return breakpoints == null;
    }

    /** Translation statistics, or null under the interpreter. */
    public Translator.Stats translationStats() {
        return translator == null ? null : translator.stats();
    }

    /** Installs translations finished in the background (between slices, on the machine's thread). */
    public void beforeSlice() {
        if (translator != null) {
            translator.installReady();
        }
    }

    /** The current engine. */
    public Engine engine() {
        return engine;
    }

    void attach(Tlb tlb) {
        tlbs.add(tlb);
    }

    /** RAM page index of a physical address, or -1 when it is not RAM. */
    int ramPage(long pa) {
        long off = pa - Bus.RAM_BASE;
        return off >= 0 && off < ramSize ? (int) (off >>> Bus.PAGE_SHIFT) : -1;
    }

    byte[] readPage(int ppn) {
        return ram.pageForRead(ppn);
    }

    /** A writable array for a RAM page with caches made coherent; null if the page may not be cached for writes. */
    byte[] writePage(int ppn) {
        byte[] p = ram.pageForWrite(ppn);
        if (writable[ppn] != p) {
            writable[ppn] = p;
            for (Tlb t : tlbs) {
                t.replaceRead(ppn, p);
            }
        }
        if (code[ppn] != null) {
            discardCode(ppn);
        }
        return p;
    }

    boolean cacheableForWrite(int ppn) {
        return ppn != bus.watchedPage();
    }

    /** The decoded-instruction page for a RAM page, created empty (decoded lazily) when missing. */
    long[] codePage(int ppn) {
        long[] c = code[ppn];
        if (c == null) {
            c = new long[CODE_PAGE_LENGTH];
            c[CODE_SLOTS] = PAGE_END_SLOT; // falling off the page (2- or 4-byte step) re-fetches
            c[CODE_SLOTS + 1] = PAGE_END_SLOT;
            c[CODE_PPN] = ppn;
            code[ppn] = c;
            for (Tlb t : tlbs) {
                t.dropWrite(ppn);
            }
        }
        return c;
    }

    private void discardCode(int ppn) {
        code[ppn] = null;
        codeDiscarded = true;
        if (translator != null) {
            translator.dropPage(ppn);
        }
        for (Tlb t : tlbs) {
            t.dropCode(ppn);
        }
    }

    /** A debugger's breakpoints (sorted pcs, virtual as the hart fetches them), or null. */
    private long[] breakpoints;
    private long skipBreakpoint = -1;

    /**
     * Sets the pcs at which a hart stops before executing (StopReason.BREAKPOINT); null or empty
     * for none. A breakpoint's slot is never cached as decoded, so the interpreter's fast path
     * does not change: the check happens where an instruction is decoded. Forgets decoded code
     * when the set changes. A physical page mapped at two virtual addresses may miss a breakpoint
     * set through the other one.
     */
    public void setBreakpoints(long[] pcs) {
        long[] sorted = pcs == null || pcs.length == 0 ? null : pcs.clone();
        if (sorted != null) {
            java.util.Arrays.sort(sorted);
        }
        if (!java.util.Arrays.equals(sorted, breakpoints)) {
            breakpoints = sorted;
            invalidateCode();
        }
    }

    /** Lets the next execution at {@code pc} pass its breakpoint (resuming from it); -1 for none. */
    public void skipBreakpointOnce(long pc) {
        skipBreakpoint = pc;
    }

    boolean hasBreakpoint(long pc) {
        return breakpoints != null && java.util.Arrays.binarySearch(breakpoints, pc) >= 0;
    }

    boolean consumeSkip(long pc) {
        if (skipBreakpoint == pc) {
            skipBreakpoint = -1;
            return true;
        }
        return false;
    }

    /** fence.i and external code changes: forget every decoded instruction. */
    public void invalidateCode() {
        if (translator != null) {
            translator.dropAll();
        }
        java.util.Arrays.fill(code, null);
        codeDiscarded = true;
        for (Tlb t : tlbs) {
            t.flush();
        }
    }

    /** Drops cached write arrays when the RAM image was frozen since the last call. */
    public void checkEpoch() {
        long e = ram.epoch();
        if (e != epoch) {
            epoch = e;
            java.util.Arrays.fill(writable, null);
            for (Tlb t : tlbs) {
                t.flush();
            }
        }
    }

    /** Physical load of 1, 2, 4 or 8 bytes (aligned for MMIO); sets {@link #fault} when unmapped. */
    long load(long pa, int size) {
        int ppn = ramPage(pa);
        if (ppn >= 0) {
            if (((pa + size - 1) >>> Bus.PAGE_SHIFT) == (pa >>> Bus.PAGE_SHIFT)) {
                return ram.load(pa - Bus.RAM_BASE, size);
            }
            long v = 0;
            for (int i = 0; i < size; i++) {
                if (ramPage(pa + i) < 0) {
                    fault = true;
                    return 0;
                }
                v |= (ram.load(pa + i - Bus.RAM_BASE, 1)) << (8 * i);
            }
            return v;
        }
        Bus.Region r = bus.device(pa);
        if (r == null || (pa & (size - 1)) != 0 || pa - r.base() > r.size() - size) {
            fault = true;
            return 0;
        }
        MmioDevice d = r.device();
        return d.read(pa - r.base(), size);
    }

    /** Physical store; keeps caches coherent and notifies the bus's write watch. */
    void store(long pa, int size, long value) {
        int ppn = ramPage(pa);
        if (ppn >= 0 && ramPage(pa + size - 1) >= 0) {
            long off = pa - Bus.RAM_BASE;
            int last = (int) ((off + size - 1) >>> Bus.PAGE_SHIFT);
            writePage(ppn);
            if (last != ppn) {
                writePage(last);
                for (int i = 0; i < size; i++) {
                    ram.store(off + i, 1, value >>> (8 * i));
                }
            } else {
                ram.store(off, size, value);
            }
            bus.afterRamStore(pa, size, value);
            return;
        }
        Bus.Region r = bus.device(pa);
        if (r == null || (pa & (size - 1)) != 0 || pa - r.base() > r.size() - size) {
            fault = true;
            return;
        }
        r.device().write(pa - r.base(), size, value);
    }

    /** Copies guest-physical RAM out (for hypercalls); false if any byte is outside RAM. */
    public boolean readRam(long pa, byte[] dst, int off, int len) {
        if (!bus.isRam(pa, len)) {
            return false;
        }
        ram.read(pa - Bus.RAM_BASE, dst, off, len);
        return true;
    }

    /** Writes into guest-physical RAM from outside the harts (loader, hypercalls), keeping caches coherent. */
    public boolean writeRam(long pa, byte[] src, int off, int len) {
        if (!bus.isRam(pa, len)) {
            return false;
        }
        for (long p = pa & -Bus.PAGE_SIZE; p < pa + len; p += Bus.PAGE_SIZE) {
            writePage(ramPage(p));
        }
        ram.write(pa - Bus.RAM_BASE, src, off, len);
        return true;
    }
}
