package dev.vmtree.core.devices;

import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.cpu.Timebase;
import dev.vmtree.core.mem.MmioDevice;
import java.util.function.LongSupplier;

/**
 * The SiFive-compatible core-local interruptor for machine-mode software: per-hart {@code msip}
 * (offset 4·hart), {@code mtimecmp} (0x4000 + 8·hart) and the shared {@code mtime} (0xBFF8), in
 * timebase ticks of the virtual clock. {@code mtime} is read-only here: time is the instruction
 * count. 4- and 8-byte accesses; the comparators keep their value in the harts.
 */
public final class Clint implements MmioDevice {
    public static final long SIZE = 0x10000;
    private static final long MTIMECMP = 0x4000, MTIME = 0xBFF8;

    private final Hart[] harts;
    private final LongSupplier instructions;

    public Clint(Hart[] harts, LongSupplier instructions) {
        this.harts = harts;
        this.instructions = instructions;
    }

    @Override
    public long read(long offset, int size) {
        long word;
        long base;
        if (offset < 4L * harts.length) {
            return (harts[(int) (offset / 4)].mip() >>> 3) & 1;
        } else if (offset >= MTIMECMP && offset < MTIMECMP + 8L * harts.length) {
            base = offset & ~7L;
            word = harts[(int) ((base - MTIMECMP) / 8)].mtimecmp();
        } else if (offset >= MTIME && offset < MTIME + 8) {
            base = MTIME;
            word = Timebase.ticks(instructions.getAsLong());
        } else {
            return 0;
        }
        return slice(word, offset - base, size);
    }

    private static long slice(long word, long at, int size) {
        long v = word >>> (8 * at);
        return size == 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset < 4L * harts.length) {
            harts[(int) (offset / 4)].setPending(1L << 3, (value & 1) != 0);
        } else if (offset >= MTIMECMP && offset < MTIMECMP + 8L * harts.length) {
            long base = offset & ~7L;
            Hart h = harts[(int) ((base - MTIMECMP) / 8)];
            int shift = (int) (8 * (offset - base));
            long mask = size == 8 ? -1L : ((1L << (8 * size)) - 1) << shift;
            long v = (h.mtimecmp() & ~mask) | ((value << shift) & mask);
            h.setMtimecmp(v, instructions.getAsLong());
        }
    }
}
