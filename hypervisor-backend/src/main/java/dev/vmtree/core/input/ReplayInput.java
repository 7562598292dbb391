package dev.vmtree.core.input;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Gives a machine back exactly the input of a log: each event's bytes at its stamped instruction
 * count and nowhere else. A machine asking for entropy that the log does not have at that count,
 * or running past a console event it never took, has diverged: the first such moment is kept in
 * {@link #divergence()} (entropy is then zeros) and the run goes on, so a caller can report it.
 * Not thread-safe.
 */
public final class ReplayInput implements ExternalInput {
    private final List<InputEvent> events;
    private int next;
    private int offset;             // bytes of events[next] already delivered (console may take part of one)
    private String divergence;

    /** Events in log order (non-decreasing {@code at}). */
    public ReplayInput(List<InputEvent> events) {
        this.events = List.copyOf(events);
        for (int i = 1; i < this.events.size(); i++) {
            if (this.events.get(i).at() < this.events.get(i - 1).at()) {
                throw new IllegalArgumentException("input events out of order at event " + i);
            }
        }
    }

    @Override
    public int console(long now, boolean idle, byte[] dst, int max) {
        skipPassed(now);
        if (next >= events.size() || max <= 0) {
            return 0;
        }
        InputEvent e = events.get(next);
        if (e.at() != now || e.kind() != InputEvent.Kind.CONSOLE) {
            return 0;
        }
        byte[] d = e.data();
        int n = Math.min(max, d.length - offset);
        System.arraycopy(d, offset, dst, 0, n);
        offset += n;
        if (offset == d.length) {
            next++;
            offset = 0;
        }
        return n;
    }

    @Override
    public void entropy(long now, byte[] dst, int off, int len) {
        skipPassed(now);
        InputEvent e = next < events.size() ? events.get(next) : null;
        if (e == null || e.at() != now || e.kind() != InputEvent.Kind.ENTROPY || e.length() != len || offset != 0) {
            diverge("the guest asked for " + len + " bytes of entropy at instruction " + now + "; the log has "
                    + (e == null ? "no more events" : e.length() + " bytes of " + e.kind() + " at " + e.at()));
            Arrays.fill(dst, off, off + len, (byte) 0);
            return;
        }
        System.arraycopy(e.data(), 0, dst, off, len);
        next++;
    }

    @Override
    public int frame(long now, byte[] dst) {
        skipPassed(now);
        if (next >= events.size()) {
            return 0;
        }
        InputEvent e = events.get(next);
        if (e.at() != now || e.kind() != InputEvent.Kind.FRAME || offset != 0 || e.length() > dst.length) {
            return 0;
        }
        byte[] d = e.data();
        System.arraycopy(d, 0, dst, 0, d.length);
        next++;
        return d.length;
    }

    @Override
    public boolean awaitConsole(long now) {
        skipPassed(now);
        if (next >= events.size() || events.get(next).at() != now) {
            return false;
        }
        InputEvent.Kind k = events.get(next).kind();
        return k == InputEvent.Kind.CONSOLE || k == InputEvent.Kind.FRAME;
    }

    @Override
    public long nextFrameAt(long now) {
        for (int i = next; i < events.size(); i++) {
            InputEvent e = events.get(i);
            if (e.kind() == InputEvent.Kind.FRAME) {
                return Math.max(e.at(), now);
            }
        }
        return -1;
    }

    @Override
    public long nextConsoleAt(long now) {
        for (int i = next; i < events.size(); i++) {
            InputEvent e = events.get(i);
            if (e.kind() == InputEvent.Kind.CONSOLE) {
                return Math.max(e.at(), now);
            }
        }
        return -1;
    }

    /** Events the machine has not taken yet. */
    public List<InputEvent> remaining() {
        List<InputEvent> r = new ArrayList<>(events.subList(Math.min(next, events.size()), events.size()));
        if (offset > 0 && !r.isEmpty()) {
            InputEvent e = r.removeFirst();
            r.addFirst(new InputEvent(e.at(), e.kind(), Arrays.copyOfRange(e.data(), offset, e.length())));
        }
        return r;
    }

    /** The first moment the machine and the log disagreed, or null. */
    public String divergence() {
        return divergence;
    }

    private void skipPassed(long now) {
        while (next < events.size() && events.get(next).at() < now) {
            InputEvent e = events.get(next);
            diverge("the log delivers " + e.kind() + " at instruction " + e.at() + " but the machine did not take it there");
            next++;
            offset = 0;
        }
    }

    private void diverge(String why) {
        if (divergence == null) {
            divergence = why;
        }
    }
}
