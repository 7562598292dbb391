package dev.vmtree.core.cpu;

/**
 * What a {@link Hart} needs from the machine around it: the global instruction count (the source of
 * virtual time), the hypercall handler, and whether someone asked the machine to stop.
 * Called only from the machine's thread, never on the instruction fast path.
 */
public interface HartHost {

    /** Global instruction count at the start of the slice the hart is running. */
    long instructionCount();

    /**
     * An {@code ecall} from S-mode in hypervisor mode: serve it (set a0/a1) and return true, or
     * return false to raise the usual environment-call exception (machine mode).
     */
    boolean environmentCall(Hart hart);

    /** True once the machine must stop after the current instruction (shutdown, HTIF exit). */
    boolean stopRequested();

    /** {@code hart} reached a debugger's breakpoint: the machine must stop before that instruction. */
    void breakpoint(Hart hart);

    /**
     * {@code hart} takes the exception {@code cause} at its own trap vector again and again (see
     * Privileged): the machine must stop after this trap. {@code privilege} is the mode it traps to.
     */
    void trapLoop(Hart hart, long cause, long tval, int privilege);
}
