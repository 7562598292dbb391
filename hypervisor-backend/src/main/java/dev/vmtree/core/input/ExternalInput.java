package dev.vmtree.core.input;

/**
 * The only way bytes from outside the machine reach a guest (ARCHITECTURE.md, Determinism rules):
 * console bytes and entropy. The machine asks at global instruction counts that depend on its
 * state alone, and reports every byte it was given, with that count, as an {@link InputEvent}, so
 * whatever a live source answers can be logged and given back by {@link ReplayInput}.
 *
 * <p>Called on the machine's thread; no method may block except {@link #awaitConsole}.
 */
public interface ExternalInput {

    /**
     * Console bytes the guest may take now, at check point {@code now}: copies at most {@code max}
     * bytes into {@code dst} and returns how many (0: none). {@code idle} is true when some hart is
     * waiting for an interrupt, a hint that a live source should look at its host now.
     */
    int console(long now, boolean idle, byte[] dst, int max);

    /** Entropy the guest asked for at {@code now}: fills all {@code len} bytes. */
    void entropy(long now, byte[] dst, int off, int len);

    /**
     * Called when no hart can ever run again unless input arrives (every hart waits, no timer is
     * armed): blocks until console input may be available and returns true, or returns false when
     * none will ever come (the run then ends IDLE). The clock does not move while it waits.
     */
    default boolean awaitConsole(long now) {
        return false;
    }

    /**
     * The instruction count at which console input is next due, when the source knows it ahead (a
     * log being replayed, a schedule), else -1. A machine whose harts all wait lets its clock jump
     * there, as it does to a timer deadline.
     */
    default long nextConsoleAt(long now) {
        return -1;
    }

    /** No input at all; entropy requests get zeros (nothing outside reaches the guest). */
    ExternalInput NONE = new ExternalInput() {
        @Override
        public int console(long now, boolean idle, byte[] dst, int max) {
            return 0;
        }

        @Override
        public void entropy(long now, byte[] dst, int off, int len) {
            java.util.Arrays.fill(dst, off, off + len, (byte) 0);
        }
    };
}
