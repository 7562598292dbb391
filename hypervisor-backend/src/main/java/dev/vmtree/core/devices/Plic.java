package dev.vmtree.core.devices;

import dev.vmtree.core.mem.MmioDevice;
import java.util.Objects;

/**
 * A platform-level interrupt controller in the SiFive {@code riscv,plic0} layout: source priorities
 * at 4·i, pending bits at 0x1000, per-context enable bits at 0x2000 + 0x80·c, and per-context
 * threshold (0x200000 + 0x1000·c) and claim/complete (+4). Sources 1..N-1 (0 means "none"),
 * priorities 0..7 (0 never interrupts), two contexts per hart: 2h is M mode, 2h + 1 is S mode.
 *
 * <p>Gateways are level-triggered: an unclaimed source is pending while its line is high; a claimed
 * one stays out until completed, and completing it re-pends it while the line is still high. A context's output
 * is high while an enabled pending source has a priority above its threshold; every change is
 * pushed to {@link ExternalInterrupts}. Only 32-bit accesses do anything (others read 0).
 *
 * <p>Called only from the thread that runs the machine; never throws for guest values.
 */
public final class Plic implements MmioDevice {
    public static final long SIZE = 0x400_0000;
    public static final int MAX_PRIORITY = 7;
    private static final long PENDING = 0x1000, ENABLE = 0x2000, CONTEXT = 0x20_0000;

    private final int sources, contexts, words;
    private final ExternalInterrupts out;
    private final int[] priority;
    private final int[] pending, claimed, levels;
    private final int[] enable;
    private final int[] threshold;
    private final boolean[] output;

    /** {@code sources} counts source 0, so sources 1..sources-1 exist (2..1024). */
    public Plic(int sources, int harts, ExternalInterrupts out) {
        if (sources < 2 || sources > 1024) {
            throw new IllegalArgumentException("PLIC sources must be 2..1024, got " + sources);
        }
        if (harts < 1 || harts > 7936) {
            throw new IllegalArgumentException("PLIC harts must be 1..7936, got " + harts);
        }
        this.sources = sources;
        this.contexts = 2 * harts;
        this.words = (sources + 31) / 32;
        this.out = Objects.requireNonNull(out, "out");
        priority = new int[sources];
        pending = new int[words];
        claimed = new int[words];
        levels = new int[words];
        enable = new int[contexts * words];
        threshold = new int[contexts];
        output = new boolean[contexts];
    }

    public int sources() {
        return sources;
    }

    /** The input wire of source {@code id} (1..sources-1) for a device to drive. */
    public IrqLine line(int id) {
        if (id < 1 || id >= sources) {
            throw new IllegalArgumentException("no PLIC source " + id + " (1.." + (sources - 1) + ")");
        }
        return high -> setLevel(id, high);
    }

    private void setLevel(int id, boolean high) {
        put(levels, id, high);
        if (!bit(claimed, id)) {
            // pending follows the wire until claimed, as QEMU's PLIC does: a device that lowers its
            // line before the hart claims causes no spurious claim
            put(pending, id, high);
        }
        update();
    }

    private static boolean bit(int[] set, int i) {
        return (set[i >>> 5] >>> (i & 31) & 1) != 0;
    }

    private static void put(int[] set, int i, boolean on) {
        if (on) {
            set[i >>> 5] |= 1 << (i & 31);
        } else {
            set[i >>> 5] &= ~(1 << (i & 31));
        }
    }

    @Override
    public long read(long offset, int size) {
        if (size != 4 || offset < 0) {
            return 0;
        }
        if (offset < 4L * sources) {
            return priority[(int) (offset / 4)];
        }
        if (offset >= PENDING && offset < PENDING + 4L * words) {
            return pending[(int) ((offset - PENDING) / 4)] & 0xFFFF_FFFFL;
        }
        if (offset >= ENABLE && offset < ENABLE + 0x80L * contexts) {
            int c = (int) ((offset - ENABLE) / 0x80);
            int w = (int) ((offset - ENABLE) % 0x80 / 4);
            return w < words ? enable[c * words + w] & 0xFFFF_FFFFL : 0;
        }
        if (offset >= CONTEXT && offset < CONTEXT + 0x1000L * contexts) {
            int c = (int) ((offset - CONTEXT) / 0x1000);
            long reg = (offset - CONTEXT) % 0x1000;
            if (reg == 0) {
                return threshold[c];
            }
            if (reg == 4) {
                return claim(c);
            }
        }
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (size != 4 || offset < 0) {
            return;
        }
        int v = (int) value;
        if (offset < 4L * sources) {
            int id = (int) (offset / 4);
            if (id != 0) {
                priority[id] = v & MAX_PRIORITY;
            }
        } else if (offset >= ENABLE && offset < ENABLE + 0x80L * contexts) {
            int c = (int) ((offset - ENABLE) / 0x80);
            int w = (int) ((offset - ENABLE) % 0x80 / 4);
            if (w < words) {
                enable[c * words + w] = v & validMask(w);
            }
        } else if (offset >= CONTEXT && offset < CONTEXT + 0x1000L * contexts) {
            int c = (int) ((offset - CONTEXT) / 0x1000);
            long reg = (offset - CONTEXT) % 0x1000;
            if (reg == 0) {
                threshold[c] = v & MAX_PRIORITY;
            } else if (reg == 4) {
                complete(c, v);
            }
        }
        // pending bits are read-only
        update();
    }

    /** Bits of word w that name real sources (source 0 and those past the end stay 0). */
    private int validMask(int w) {
        int mask = -1;
        if (w == 0) {
            mask &= ~1;
        }
        int past = sources - 32 * w;
        if (past < 32) {
            mask &= (1 << past) - 1;
        }
        return mask;
    }

    /** The best claimable source for context c (highest priority, then lowest id), or 0. */
    private int best(int c) {
        int best = 0;
        int bestPriority = threshold[c];
        for (int w = 0; w < words; w++) {
            int candidates = pending[w] & enable[c * words + w];
            while (candidates != 0) {
                int id = 32 * w + Integer.numberOfTrailingZeros(candidates);
                candidates &= candidates - 1;
                if (priority[id] > bestPriority) {
                    best = id;
                    bestPriority = priority[id];
                }
            }
        }
        return best;
    }

    private int claim(int c) {
        int id = best(c);
        if (id != 0) {
            put(pending, id, false);
            put(claimed, id, true);
            update();
        }
        return id;
    }

    private void complete(int c, int id) {
        // the spec ignores completions of ids that are out of range or not enabled for this context
        if (id <= 0 || id >= sources || !bit(enable, c * words * 32 + id) || !bit(claimed, id)) {
            return;
        }
        put(claimed, id, false);
        if (bit(levels, id)) {
            put(pending, id, true);
        }
    }

    private void update() {
        for (int c = 0; c < contexts; c++) {
            boolean level = best(c) != 0;
            if (level != output[c]) {
                output[c] = level;
                out.setExternal(c / 2, (c & 1) != 0, level);
            }
        }
    }

    public PlicState save() {
        return new PlicState(priority, pending, claimed, levels, enable, threshold);
    }

    /** Replaces all state (arrays must match this PLIC's size) and re-drives every output. */
    public void restore(PlicState s) {
        copy(s.priorities(), priority, "priorities");
        copy(s.pending(), pending, "pending");
        copy(s.claimed(), claimed, "claimed");
        copy(s.levels(), levels, "levels");
        copy(s.enables(), enable, "enables");
        copy(s.thresholds(), threshold, "thresholds");
        for (int i = 0; i < sources; i++) {
            priority[i] = i == 0 ? 0 : priority[i] & MAX_PRIORITY;
        }
        for (int w = 0; w < words; w++) {
            pending[w] &= validMask(w);
            claimed[w] &= validMask(w);
            levels[w] &= validMask(w);
            for (int c = 0; c < contexts; c++) {
                enable[c * words + w] &= validMask(w);
            }
        }
        for (int c = 0; c < contexts; c++) {
            threshold[c] &= MAX_PRIORITY;
            output[c] = best(c) != 0;
            out.setExternal(c / 2, (c & 1) != 0, output[c]);
        }
    }

    private static void copy(int[] from, int[] to, String what) {
        if (from.length != to.length) {
            throw new IllegalArgumentException("PLIC state " + what + " has " + from.length + " entries, expected " + to.length);
        }
        System.arraycopy(from, 0, to, 0, to.length);
    }

    /**
     * The node for the device tree: {@code plic@base}, riscv,plic0; per hart, context 2h goes to the
     * cpu-intc's interrupt 11 (M external) and 2h + 1 to interrupt 9 (S external).
     */
    public DtNode deviceTreeNode(long base, int phandle, int[] hartIntcPhandles) {
        int[] ext = new int[4 * hartIntcPhandles.length];
        for (int h = 0; h < hartIntcPhandles.length; h++) {
            ext[4 * h] = hartIntcPhandles[h];
            ext[4 * h + 1] = 11;
            ext[4 * h + 2] = hartIntcPhandles[h];
            ext[4 * h + 3] = 9;
        }
        return DtNode.at("plic", base).strings("compatible", "sifive,plic-1.0.0", "riscv,plic0")
                .longs("reg", base, SIZE).cells("#address-cells", 0).cells("#interrupt-cells", 1)
                .empty("interrupt-controller").cells("interrupts-extended", ext)
                .cells("riscv,ndev", sources - 1).cells("phandle", phandle);
    }
}
