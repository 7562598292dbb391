package dev.vmtree.store;

/**
 * A chunk this repository does not hold and its {@link Promisor} could not bring: the remote is
 * unreachable (a removed directory, a stopped server, a dropped connection), lacks the chunk, or
 * sent a record that failed verification. Nothing of the failed request was kept; the same read
 * may work later, once the remote is back. Nothing here is damaged, so it is not a
 * {@link DamagedObjectException}.
 */
public final class ChunkUnavailableException extends StoreException {
    public ChunkUnavailableException(String message) {
        super(message);
    }

    public ChunkUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
