package dev.vmtree.store;

/**
 * Stored bytes that are not what their id says: a chunk whose record fails its checks, or a Git
 * object in {@code meta.git} whose content does not hash to its id. The data is at fault, not the
 * program; the message names the object and the file it was read from.
 */
public class DamagedObjectException extends StoreException {
    public DamagedObjectException(String message) {
        super(message);
    }

    public DamagedObjectException(String message, Throwable cause) {
        super(message, cause);
    }
}
