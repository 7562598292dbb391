package dev.vmtree.core.devices;

import java.util.Arrays;

/**
 * Everything a {@link Plic} remembers. Bit sets are 32-bit words, source i at bit i % 32 of word
 * i / 32: {@code pending}, {@code claimed} (claimed and not yet completed), {@code levels} (the input
 * wires), and {@code enables} with {@code words} words per context, context by context.
 * Immutable: arrays are copied in and out.
 */
public record PlicState(int[] priorities, int[] pending, int[] claimed, int[] levels, int[] enables,
        int[] thresholds) {

    public PlicState {
        priorities = priorities.clone();
        pending = pending.clone();
        claimed = claimed.clone();
        levels = levels.clone();
        enables = enables.clone();
        thresholds = thresholds.clone();
    }

    @Override public int[] priorities() { return priorities.clone(); }
    @Override public int[] pending() { return pending.clone(); }
    @Override public int[] claimed() { return claimed.clone(); }
    @Override public int[] levels() { return levels.clone(); }
    @Override public int[] enables() { return enables.clone(); }
    @Override public int[] thresholds() { return thresholds.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlicState s && Arrays.equals(priorities, s.priorities) && Arrays.equals(pending, s.pending)
                && Arrays.equals(claimed, s.claimed) && Arrays.equals(levels, s.levels)
                && Arrays.equals(enables, s.enables) && Arrays.equals(thresholds, s.thresholds);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(new Object[] {priorities, pending, claimed, levels, enables, thresholds});
    }

    @Override
    public String toString() {
        return "PlicState[priorities=" + Arrays.toString(priorities) + ", pending=" + Arrays.toString(pending)
                + ", claimed=" + Arrays.toString(claimed) + ", levels=" + Arrays.toString(levels)
                + ", enables=" + Arrays.toString(enables) + ", thresholds=" + Arrays.toString(thresholds) + "]";
    }
}
