package dev.vmtree.core;

import dev.vmtree.core.cpu.Trap;

/**
 * Where a machine found a hart stuck ({@link StopReason#TRAP_LOOP}): hart {@code hart} took
 * exception {@code cause} (with {@code tval}) at {@code pc}, which is its own trap vector in
 * {@code privilege} mode (3 M, 1 S), for the second time in a row, at global instruction count
 * {@code instructions}.
 */
public record TrapLoop(int hart, long cause, long tval, long pc, int privilege, long instructions) {

    /** One line for a person, naming the hart, the cause and the instruction count. */
    public String describe() {
        return String.format("hart %d is stuck at instruction %,d: %s (tval 0x%x) at its %s-mode trap vector 0x%x,"
                + " again and again (no working trap handler)", hart, instructions, Trap.describe(cause), tval,
                privilege == 3 ? "M" : "S", pc);
    }
}
