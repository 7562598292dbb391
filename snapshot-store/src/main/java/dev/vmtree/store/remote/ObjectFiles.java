package dev.vmtree.store.remote;

import java.io.IOException;
import java.util.List;

/**
 * {@link RemoteFiles} of an object store (S3 and its kin): every object is written whole by one
 * request, so a new object is never seen half written and no rename is needed to publish it
 * ({@link #atomicCreate()}); there are no directories, only keys and prefixes. Its one
 * synchronisation primitive is the conditional create, {@link #createIfAbsent}, which the ref log
 * of the object layout is built on (docs/format.md, "Object layout").
 */
public interface ObjectFiles extends RemoteFiles {

    /** How a store treats a conditional create (If-None-Match: *), as a probe found it. */
    enum Conditional {
        /** A second create of one key is refused: two writers never both win. */
        ENFORCED,
        /** The store accepts the header and writes anyway: last writer wins. */
        IGNORED,
        /** The store refuses the header (501 Not Implemented and the like). */
        UNSUPPORTED
    }

    /** The store refuses conditional writes altogether (it does not implement them). */
    final class ConditionalUnsupportedException extends IOException {
        public ConditionalUnsupportedException(String message) {
            super(message);
        }
    }

    /**
     * Writes {@code data} at {@code path} only if no object has that key. Returns false when one
     * has (the store refused the write: somebody else created it first).
     *
     * @throws ConditionalUnsupportedException when the store does not take the condition at all
     */
    boolean createIfAbsent(String path, byte[] data) throws IOException;

    /**
     * Every key under {@code prefix} (a path ending in '/', or ""), recursively, relative to it and
     * in ascending order, starting after {@code startAfter} (relative too; null: from the start), at
     * most {@code max} of them.
     */
    List<String> listRecursive(String prefix, String startAfter, int max) throws IOException;

    @Override
    default boolean atomicCreate() {
        return true;
    }
}
