package dev.vmtree.store;

/**
 * A bundle file that cannot be used: malformed, truncated, hostile (a forged hash, an entry larger
 * than declared, an unexpected entry name), or thin against a snapshot this repository lacks. The
 * message is one line naming the file and what is wrong; nothing was changed.
 */
public final class BundleException extends StoreException {
    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
