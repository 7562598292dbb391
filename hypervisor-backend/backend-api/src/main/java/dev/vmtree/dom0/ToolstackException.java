package dev.vmtree.dom0;

/**
 * An expected failure of a toolstack operation: a one-line message saying what is wrong and what
 * to do, and a {@link Kind} a front end maps to its own convention (the CLI to exit codes).
 */
public class ToolstackException extends RuntimeException {

    /** What kind of failure; front ends map each to a stable exit status. */
    public enum Kind {
        /** The operation failed (an unknown ref, a refused deletion, ...). */
        FAILED,
        /** The request itself is malformed (bad size, bad name, bad key). */
        BAD_INPUT,
        /** No repository, or a damaged one: nothing can be done until the user acts. */
        CANNOT_RUN,
        /** The instance holds uncommitted state the operation would drop. */
        DIRTY,
        /** Another process holds the instance (a running {@code vmtree run}). */
        LOCKED
    }

    private final Kind kind;

    public ToolstackException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ToolstackException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static ToolstackException failed(String message) {
        return new ToolstackException(Kind.FAILED, message);
    }

    public static ToolstackException badInput(String message) {
        return new ToolstackException(Kind.BAD_INPUT, message);
    }
}
