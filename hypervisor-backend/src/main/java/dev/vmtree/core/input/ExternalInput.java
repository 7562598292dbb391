package dev.vmtree.core.input;

/**
 * The only way bytes from outside the machine reach a guest (ARCHITECTURE.md, Determinism rules):
 * console bytes, entropy and network frames. The machine asks at global instruction counts that depend on its
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

    /**
     * The next Ethernet frame for the machine's network card at check point {@code now}: copies it
     * into {@code dst} (room for the largest frame, 1518 bytes) and returns its length, or 0 when none
     * is due. Asked only while the card's driver is ready, at most a bounded number of times per
     * check point; the default has none.
     */
    default int frame(long now, byte[] dst) {
        return 0;
    }

    /** As {@link #nextConsoleAt}, for frames. */
    default long nextFrameAt(long now) {
        return -1;
    }

    /**
     * Every hart waits and the next thing due is at check point {@code wake} (a timer, known input):
     * returns the count the clock goes on from, between {@code now} and {@code wake}. The default
     * jumps to {@code wake} at once. A live source with a network link waits in real time instead,
     * so virtual time does not run ahead of the host's and a peer's frames meet the guest's timers as
     * they would on hardware, and returns early (the count the host clock reached) when a frame
     * arrives. Whatever it returns, the frames that arrive are input events with their counts, so a
     * replay (which jumps straight to the next event) reaches the same states.
     */
    default long idleUntil(long now, long wake) {
        return wake;
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
