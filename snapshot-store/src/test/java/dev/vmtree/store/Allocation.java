package dev.vmtree.store;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by the current thread, so a fuzz target can assert that one input costs at most a
 * bound (a fixed part plus a multiple of its length) in seed runs too, where the heap is large
 * enough that an allocation driven by a declared size would go unnoticed.
 */
final class Allocation {
    private Allocation() {}

    static long now() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Fails when more than {@code fixed + perByte * input} bytes were allocated since {@code before}. */
    static void check(long before, long input, long fixed, long perByte, String what) {
        long used = now() - before;
        long bound = fixed + perByte * input;
        if (used > bound) {
            throw new AssertionError(what + " of " + input + " bytes allocated " + used + " bytes (bound " + bound + ")");
        }
    }

    /** Fails when {@code message} is not one short line of printable characters. */
    static void oneLine(String message, int max, Throwable t) {
        if (message == null || message.length() > max || message.chars().anyMatch(c -> c < 0x20 || (c >= 0x7f && c < 0xa0))) {
            throw new AssertionError("not one short printable line: " + message, t);
        }
    }
}
