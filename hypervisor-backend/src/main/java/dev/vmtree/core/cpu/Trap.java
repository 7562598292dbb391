package dev.vmtree.core.cpu;

/** Exception and interrupt cause numbers (mcause/scause) of the privileged architecture. */
public final class Trap {
    private Trap() {}

    public static final int FETCH_MISALIGNED = 0, FETCH_ACCESS = 1, ILLEGAL_INSTRUCTION = 2, BREAKPOINT = 3,
            LOAD_MISALIGNED = 4, LOAD_ACCESS = 5, STORE_MISALIGNED = 6, STORE_ACCESS = 7, ECALL_U = 8, ECALL_S = 9,
            ECALL_M = 11, FETCH_PAGE_FAULT = 12, LOAD_PAGE_FAULT = 13, STORE_PAGE_FAULT = 15;

    /** Interrupt causes carry the top bit. */
    public static final long INTERRUPT = Long.MIN_VALUE;

    public static final int IRQ_S_SOFT = 1, IRQ_M_SOFT = 3, IRQ_S_TIMER = 5, IRQ_M_TIMER = 7, IRQ_S_EXT = 9,
            IRQ_M_EXT = 11;
}
