package dev.vmtree.core.cpu;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The translation tier of one machine's memory: which code pages have translated regions, their
 * installation into the decode cache, and their removal. See docs/translator.md.
 *
 * <p>The interpreter tells it about every page entry ({@link #entered}); a slot entered
 * {@link #THRESHOLD} times (every time under {@code eager}) gets a {@link RegionPlan}, compiled by
 * {@link RegionCompiler} on a background thread (on the machine's thread when eager). A finished
 * region is installed between slices: each of its block heads in the page's decode cache becomes an
 * {@link Op#ENTER} slot naming it, so the interpreter enters it wherever it meets one, with no test
 * on its own fast path.
 *
 * <p>Regions are keyed by physical page alone: translated code computes pc-relative values from the
 * virtual base it is entered with and reaches memory through the hart's TLB, whose own flushes
 * cover privilege and MMU changes, so nothing about the translation context is baked in. A region
 * lives exactly as long as the decode cache of its page: any store that discards a page's decoded
 * instructions (the decode cache snoops every write, DMA included, which is also why fence.i has
 * nothing to flush) drops its regions; {@link MemorySystem#invalidateCode} (restore, breakpoints,
 * external writes) drops all. At most {@link #LIVE_MAX} regions live at once; when full, all are
 * dropped, as QEMU flushes a full code buffer.
 *
 * <p>Threading: everything but compilation happens on the machine's thread.
 */
final class Translator {
    /**
     * Heat a page gathers at slots without a translation before one is made (translator engine):
     * high, because HotSpot's cost to compile a region (milliseconds) pays only for code that runs
     * millions of times; measured on the Linux boot (docs/performance.md, "Translator policy").
     */
    static final int THRESHOLD = Integer.getInteger("vmtree.translator.threshold", 16384);
    /**
     * What a slice starting on a page adds to its heat, beside 1 for every other entry: slices
     * start every {@code Machine.CHECK_INTERVAL} instructions, so this samples where time goes.
     */
    static final int SLICE_WEIGHT = Integer.getInteger("vmtree.translator.sliceWeight", 64);
    /** Regions alive at once. */
    static final int LIVE_MAX = 4096;
    /** Regions waiting for the background compiler at once; more requests wait for a later entry. */
    static final int IN_FLIGHT_MAX = 64;

    private static final ExecutorService COMPILER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vmtree-translator");
        t.setDaemon(true);
        return t;
    });

    /** Counters for benchmarks and tests. */
    public record Stats(long requests, long installed, long reused, long dropped, long flushes, long failures,
                        long compileNanos, long bytecodeBytes, int live) {}

    /** One region: a plan, its code once compiled, and where it is installed. */
    static final class Region {
        final int id;
        final int ppn;
        final long[] code;
        final RegionPlan plan;
        /** The plan's content, under which the JVM-wide cache keeps its compiled code. */
        final RegionCompiler.Key key;
        final int[] heads;
        final long[] originals;
        volatile Translated body;
        volatile RuntimeException failure;
        long compileNanos;
        int bytecodeBytes;
        boolean installed;
        boolean dead;
        Region nextInPage;

        Region(int id, int ppn, long[] code, RegionPlan plan) {
            this.id = id;
            this.ppn = ppn;
            this.code = code;
            this.plan = plan;
            this.key = RegionCompiler.Key.of(plan);
            this.heads = plan.heads();
            this.originals = new long[heads.length];
        }

        /** The instruction the ENTER at {@code slot} replaced. */
        long original(int slot) {
            int i = Arrays.binarySearch(heads, slot);
            return i >= 0 ? originals[i] : plan.decoded()[slot];
        }

        void compile() {
            long t0 = System.nanoTime();
            try {
                RegionCompiler.Compiled c = RegionCompiler.compileCached(key, plan);
                bytecodeBytes = c.bytecodeBytes();
                body = c.code();
            } catch (RuntimeException | LinkageError e) {
                failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
            compileNanos = System.nanoTime() - t0;
        }
    }

    private final MemorySystem mem;
    private boolean eager;
    private int liveMax = LIVE_MAX;
    /** Regions by number (the imm of their ENTER slots); a dropped region stays until its number is reused. */
    private Region[] table = new Region[256];
    private int[] free = new int[256];
    private int freeCount;
    private int nextId;
    private int live;
    /** The regions of each RAM page (also those still compiling), chained through nextInPage. */
    private final Region[] byPage;
    private final ConcurrentLinkedQueue<Region> ready = new ConcurrentLinkedQueue<>();
    private int inFlight;
    private long requests, installed, dropped, flushes, failures, compileNanos, bytecodeBytes, reused;

    Translator(MemorySystem mem, boolean eager) {
        this.mem = mem;
        this.eager = eager;
        this.byPage = new Region[Math.toIntExact(mem.ramSize >>> 12)];
    }

    void setEager(boolean eager) {
        this.eager = eager;
    }

    /** Lowers the cap on live regions (tests: makes the full flush happen early and often). */
    void limitLive(int max) {
        liveMax = max;
    }

    Stats stats() {
        return new Stats(requests, installed, reused, dropped, flushes, failures, compileNanos, bytecodeBytes, live);
    }

    // ---- the interpreter's side ----------------------------------------------------------------

    /** Enters the region of an ENTER slot; returns the steps left ({@code left} when nothing ran). */
    static int enter(Hart h, long[] code, long d, long base, int off, int left, int max) {
        Region[] table = h.mem.translator.table;
        Region r = table[(int) (d >>> 32)];
        if (r.dead) {
            return left;        // a discarded page the interpreter still held: fetch afresh
        }
        int l = r.body.run(h, base, off, left, max);
        // Chain: while the pc lands on another region's entry in a page the execute TLB holds,
        // go straight there instead of through the interpreter's fetch and dispatch.
        Tlb t = h.tlb;
        while (l != left && l > 0 && !h.exitSlice) {
            long pc = h.pc;
            int i = (int) (pc >>> 12) & Tlb.MASK;
            if (t.xTag[i] != pc >>> 12) {
                break;
            }
            int slot = ((int) pc & 0xFFF) >>> 1;
            long e = t.xCode[i][slot];
            if (Op.op(e) != Op.ENTER) {
                break;
            }
            r = table[(int) (e >>> 32)];
            if (r.dead) {
                break;
            }
            left = l;
            l = r.body.run(h, pc & ~0xFFFL, slot, l, max);
        }
        return l;
    }

    /** The instruction an ENTER slot replaced, for stepping it in the interpreter. */
    static long original(Hart h, long d, int off) {
        return h.mem.translator.table[(int) (d >>> 32)].original(off);
    }

    /** A page entry at {@code off} of decode page {@code c}: counts it and asks for a region when hot. */
    void entered(long[] c, int off, boolean sliceStart) {
        long d = c[off];
        if ((d & Op.COVERED) != 0 || Op.op(d) == Op.ENTER || !mem.translatable()) {
            return;
        }
        if (!eager && (c[MemorySystem.CODE_HEAT] += sliceStart ? SLICE_WEIGHT : 1) < THRESHOLD) {
            return;
        }
        c[MemorySystem.CODE_HEAT] = 0;
        request(c, off);
    }

    private void request(long[] c, int off) {
        if (!eager && inFlight >= IN_FLIGHT_MAX) {
            return;
        }
        int ppn = (int) c[MemorySystem.CODE_PPN];
        if (mem.liveCode(ppn) != c) {
            return;
        }
        RegionPlan plan = RegionPlan.plan(mem.readPage(ppn), c, off);
        if (plan == null) {
            c[off] |= Op.COVERED;     // no region can start here: do not count entries again
            return;
        }
        requests++;
        if (live >= liveMax) {
            flushes++;
            dropAll();
        }
        Region r = new Region(allocate(), ppn, c, plan);
        table[r.id] = r;
        live++;
        r.nextInPage = byPage[ppn];
        byPage[ppn] = r;
        RegionCompiler.Compiled known = RegionCompiler.cached(r.key);
        if (known != null) {
            r.body = known.code();          // this code ran before in this JVM: no compilation, no wait
            reused++;
            install(r);
        } else if (eager) {
            r.compile();
            install(r);
        } else {
            inFlight++;
            COMPILER.execute(() -> {
                r.compile();
                ready.add(r);
            });
        }
    }

    private int allocate() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (nextId == table.length) {
            table = Arrays.copyOf(table, table.length * 2);
        }
        return nextId++;
    }

    /** Installs regions the background compiler finished (machine thread, between slices). */
    void installReady() {
        Region r;
        while ((r = ready.poll()) != null) {
            inFlight--;
            install(r);
        }
    }

    private void install(Region r) {
        compileNanos += r.compileNanos;
        bytecodeBytes += r.bytecodeBytes;
        if (r.failure != null) {
            failures++;
            if (eager) {
                throw r.failure;      // tests run eager: a region that cannot compile is a bug to see
            }
        }
        if (r.dead || r.body == null || mem.liveCode(r.ppn) != r.code || !mem.translatable()) {
            kill(r);
            return;
        }
        long[] c = r.code;
        for (RegionPlan.Block b : r.plan.blocks()) {
            for (int s : b.slots()) {
                if (s != b.head() && (c[s] & ~Op.COVERED) == r.plan.decoded()[s]) {
                    c[s] |= Op.COVERED;     // inside a block: resumed there, the next head is near
                }
            }
        }
        long enter = Op.ENTER | (long) r.id << 32;
        for (int i = 0; i < r.heads.length; i++) {
            int s = r.heads[i];
            long d = c[s] & ~Op.COVERED;
            if (Op.op(d) != Op.ENTER && d == r.plan.decoded()[s]) {
                r.originals[i] = d;
                c[s] = enter;
            } else {
                r.originals[i] = -1;      // another region's head, or not this instruction
            }
        }
        r.installed = true;
        installed++;
    }

    // ---- dropping ------------------------------------------------------------------------------

    /** The decoded instructions of RAM page {@code ppn} were discarded: so are its regions. */
    void dropPage(int ppn) {
        for (Region r = byPage[ppn]; r != null; r = r.nextInPage) {
            kill(r);
        }
        byPage[ppn] = null;
    }

    /** Drops every region, putting the replaced instructions back into live decode pages. */
    void dropAll() {
        for (int i = 0; i < nextId; i++) {
            Region r = table[i];
            if (r != null && !r.dead) {
                if (r.installed && mem.liveCode(r.ppn) == r.code) {
                    for (RegionPlan.Block b : r.plan.blocks()) {
                        for (int s : b.slots()) {
                            if ((r.code[s] & ~Op.COVERED) == r.plan.decoded()[s]) {
                                r.code[s] &= ~Op.COVERED;
                            }
                        }
                    }
                    for (int k = 0; k < r.heads.length; k++) {
                        if (r.originals[k] != -1) {
                            r.code[r.heads[k]] = r.originals[k];
                        }
                    }
                }
                kill(r);
            }
        }
        Arrays.fill(byPage, null);
    }

    private void kill(Region r) {
        if (r.dead) {
            return;
        }
        r.dead = true;
        live--;
        dropped++;
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = r.id;
    }
}
