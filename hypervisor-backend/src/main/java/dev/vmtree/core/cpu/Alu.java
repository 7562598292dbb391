package dev.vmtree.core.cpu;

import static dev.vmtree.core.cpu.Op.*;

/** The M extension's high multiplies and divisions, with the spec's results for division by zero and overflow. */
final class Alu {
    private Alu() {}

    static long muldiv(int op, long a, long b) {
        return switch (op) {
            case MULH -> Math.multiplyHigh(a, b);
            case MULHU -> Math.unsignedMultiplyHigh(a, b);
            // b unsigned: b_u = b + 2^64 when b < 0, so the high half gains a.
            case MULHSU -> Math.multiplyHigh(a, b) + (b < 0 ? a : 0);
            case DIV -> b == 0 ? -1 : (a == Long.MIN_VALUE && b == -1) ? a : a / b;
            case DIVU -> b == 0 ? -1 : Long.divideUnsigned(a, b);
            case REM -> b == 0 ? a : (a == Long.MIN_VALUE && b == -1) ? 0 : a % b;
            case REMU -> b == 0 ? a : Long.remainderUnsigned(a, b);
            case DIVW -> {
                int x = (int) a, y = (int) b;
                yield y == 0 ? -1 : (x == Integer.MIN_VALUE && y == -1) ? x : x / y;
            }
            case DIVUW -> {
                int y = (int) b;
                yield y == 0 ? -1 : (int) Integer.divideUnsigned((int) a, y);
            }
            case REMW -> {
                int x = (int) a, y = (int) b;
                yield y == 0 ? x : (x == Integer.MIN_VALUE && y == -1) ? 0 : x % y;
            }
            case REMUW -> {
                int y = (int) b;
                yield y == 0 ? (int) a : (int) Integer.remainderUnsigned((int) a, y);
            }
            default -> throw new IllegalStateException("not an M operation: " + op);
        };
    }
}
