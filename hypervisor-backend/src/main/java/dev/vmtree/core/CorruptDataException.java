package dev.vmtree.core;

/**
 * Stored bytes the core cannot decode or take (a machine state, a device state, a ReplayLog that is
 * truncated, of an unknown version, or inconsistent): the data is at fault, not the program. The
 * message is one line naming the format ("machine state: truncated at byte 12").
 *
 * <p>It is an {@link IllegalArgumentException}, as {@link NumberFormatException} is, so code that
 * rejects bad arguments in general still sees it; front ends that must tell damaged data (run
 * fsck) from a programming error (report it) catch this type, never its parent.
 */
public class CorruptDataException extends IllegalArgumentException {
    public CorruptDataException(String message) {
        super(message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
