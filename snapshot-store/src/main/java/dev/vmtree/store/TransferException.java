package dev.vmtree.store;

/**
 * A remote that cannot be used: hostile or damaged data (a forged hash, a malformed index, a ref
 * naming an object it does not carry), a refused update, or a layout this vmtree does not read.
 * One line naming the remote and what is wrong. Transport failures (a dropped connection) are
 * {@link java.io.IOException}s instead: the transfer can be resumed.
 */
public final class TransferException extends StoreException {
    public TransferException(String message) {
        super(message);
    }

    public TransferException(String message, Throwable cause) {
        super(message, cause);
    }
}
