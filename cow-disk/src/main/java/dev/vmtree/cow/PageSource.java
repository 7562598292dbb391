package dev.vmtree.cow;

/**
 * Where the pages of an image come from before anyone writes them: a frozen view, a snapshot in
 * the store, or nothing at all (every page zero). Implementations must be safe to call from any thread.
 */
@FunctionalInterface
public interface PageSource {

    /** A source in which every page is zero. */
    PageSource ZERO = index -> null;

    /**
     * Returns the contents of page {@code index}, or {@code null} when the page is all zero.
     * The returned array is shared and must never be written.
     *
     * @throws PageFaultException when the page cannot be produced (missing or corrupt chunk)
     */
    byte[] page(long index);
}
