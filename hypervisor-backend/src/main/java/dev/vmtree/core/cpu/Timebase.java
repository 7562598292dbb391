package dev.vmtree.core.cpu;

/**
 * Virtual time. The clock is the machine's global instruction count: one timebase tick of the
 * 10 MHz {@code time}/{@code mtime} counter every {@link #INSTRUCTIONS_PER_TICK} instructions, so a
 * guest sees a 100 MIPS machine whatever the host speed, and time never depends on the wall clock.
 */
public final class Timebase {
    private Timebase() {}

    public static final long FREQUENCY_HZ = 10_000_000L;
    public static final long INSTRUCTIONS_PER_TICK = 10;

    public static long ticks(long instructions) {
        return Long.divideUnsigned(instructions, INSTRUCTIONS_PER_TICK);
    }

    /** The first instruction count at which the clock reads {@code tick} or later (saturating). */
    public static long instructionsFor(long tick) {
        if (Long.compareUnsigned(tick, Long.divideUnsigned(-1L, INSTRUCTIONS_PER_TICK)) > 0) {
            return -1L;
        }
        return tick * INSTRUCTIONS_PER_TICK;
    }
}
