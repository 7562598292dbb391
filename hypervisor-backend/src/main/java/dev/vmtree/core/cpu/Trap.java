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

    /** The privileged architecture's name of an exception or interrupt cause ("instruction access fault"). */
    public static String describe(long cause) {
        int code = (int) cause & 63;
        if (cause < 0) {
            return switch (code) {
                case IRQ_S_SOFT -> "supervisor software interrupt";
                case IRQ_M_SOFT -> "machine software interrupt";
                case IRQ_S_TIMER -> "supervisor timer interrupt";
                case IRQ_M_TIMER -> "machine timer interrupt";
                case IRQ_S_EXT -> "supervisor external interrupt";
                case IRQ_M_EXT -> "machine external interrupt";
                default -> "interrupt " + code;
            };
        }
        return switch (code) {
            case FETCH_MISALIGNED -> "instruction address misaligned";
            case FETCH_ACCESS -> "instruction access fault";
            case ILLEGAL_INSTRUCTION -> "illegal instruction";
            case BREAKPOINT -> "breakpoint";
            case LOAD_MISALIGNED -> "load address misaligned";
            case LOAD_ACCESS -> "load access fault";
            case STORE_MISALIGNED -> "store/AMO address misaligned";
            case STORE_ACCESS -> "store/AMO access fault";
            case ECALL_U -> "environment call from U-mode";
            case ECALL_S -> "environment call from S-mode";
            case ECALL_M -> "environment call from M-mode";
            case FETCH_PAGE_FAULT -> "instruction page fault";
            case LOAD_PAGE_FAULT -> "load page fault";
            case STORE_PAGE_FAULT -> "store/AMO page fault";
            default -> "exception " + code;
        };
    }
}
