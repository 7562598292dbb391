package dev.vmtree.cli;

import dev.vmtree.dom0.ToolstackException;

/** The exit statuses of every vmtree command (documented in the root help and docs/cli.md). */
public final class ExitCodes {
    private ExitCodes() {}

    public static final int OK = 0;
    /** The operation failed, or the guest reported an error. */
    public static final int FAILURE = 1;
    /** Unknown command, bad option or argument, malformed value. */
    public static final int USAGE = 2;
    /** {@code exec}/{@code run}: the instruction budget ran out before the guest stopped. */
    public static final int BUDGET = 3;
    /** No repository, a damaged one, unreadable input: vmtree could not do the work. */
    public static final int CANNOT_RUN = 4;
    /** The instance has uncommitted state the command would drop. */
    public static final int DIRTY = 5;
    /** The instance is held by another process (a running {@code vmtree run}). */
    public static final int LOCKED = 6;
    /** {@code replay --verify}: replaying the log did not reproduce the snapshot's StateId. */
    public static final int DIVERGED = 7;

    static int of(ToolstackException.Kind kind) {
        return switch (kind) {
            case FAILED -> FAILURE;
            case BAD_INPUT -> USAGE;
            case CANNOT_RUN -> CANNOT_RUN;
            case DIRTY -> DIRTY;
            case LOCKED -> LOCKED;
        };
    }
}
