package dev.vmtree.store;

/**
 * A failure of the snapshot store with a one-line message for the user that names the damaged
 * or offending file or object. Expected outcomes (a stale ref, a held lock) are results, not this.
 */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
