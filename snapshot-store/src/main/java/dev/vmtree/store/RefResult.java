package dev.vmtree.store;

/**
 * The outcome of moving a ref. Expected outcomes (a lost race, a stale expectation) are results,
 * not exceptions, as in JGit's {@code RefUpdate.Result}; only I/O failures throw.
 */
public record RefResult(Status status, String ref, SnapshotId oldId, SnapshotId newId) {

    public enum Status {
        /** The ref did not exist and now does. */
        CREATED,
        /** The ref moved to a descendant of its old value. */
        FAST_FORWARD,
        /** The ref moved to a snapshot that does not descend from its old value. */
        FORCED,
        /** The ref already had the new value. */
        NO_CHANGE,
        /** The ref was deleted. */
        DELETED,
        /** The ref was not at the expected value, or another writer held it: nothing changed. */
        STALE,
        /** Git refused the update (for example a missing object): nothing changed. */
        REJECTED
    }

    public boolean ok() {
        return switch (status) {
            case CREATED, FAST_FORWARD, FORCED, NO_CHANGE, DELETED -> true;
            case STALE, REJECTED -> false;
        };
    }
}
