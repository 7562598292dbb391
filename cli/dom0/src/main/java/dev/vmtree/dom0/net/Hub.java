package dev.vmtree.dom0.net;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A switch in the Dom0 daemon: a hub that forwards every Ethernet frame one port sends to every other
 * port. It tells ports apart by who attached them (an instance, a host link), never by MAC address:
 * two instances of one booted snapshot share an address and still each get their own port.
 *
 * <p>Bounded and fair: each port keeps, for each other port, a queue of at most {@link #SHARE}
 * frames it has not taken yet, and {@link Port#poll} takes from those queues in turn. A guest that
 * floods fills only its own share of everyone's queues, so it cannot crowd out another sender; a
 * frame that finds its share full is dropped and counted on the receiving port, as an overrun
 * switch port drops. Frames that cannot be frames ({@link Frames#plausible}) are dropped and counted
 * on the sending port. Memory is at most ports × ports × SHARE × {@link Frames#MAX} bytes, and ports
 * are at most {@link #MAX_PORTS}.
 *
 * <p>Thread-safe: every port is sent to and polled from its own thread (a machine's, a host link's).
 */
public final class Hub {
    public static final int SHARE = 64, MAX_PORTS = 32;

    private final String name;
    private final List<Port> ports = new CopyOnWriteArrayList<>();

    public Hub(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /**
     * A new port for {@code owner} (an instance's name, or a host link's). {@code wakeup} runs (on the
     * sender's thread, so it must be quick) when a frame is queued for the port.
     */
    public synchronized Port attach(String owner, Runnable wakeup) {
        if (ports.size() >= MAX_PORTS) {
            throw new IllegalStateException("switch " + name + " has " + MAX_PORTS + " ports, the most it takes");
        }
        Port p = new Port(owner, wakeup);
        ports.add(p);
        return p;
    }

    /** The ports attached now, in order of attachment. */
    public List<Port> ports() {
        return List.copyOf(ports);
    }

    /**
     * Owners on this switch whose frames carried one source address, for each address that more
     * than one owner used: clones of one booted snapshot, which guests on the switch cannot tell apart.
     */
    public Map<String, List<String>> duplicateAddresses() {
        Map<String, List<String>> by = new LinkedHashMap<>();
        for (Port p : ports) {
            String mac = p.lastSource;
            if (mac != null) {
                by.computeIfAbsent(mac, m -> new ArrayList<>()).add(p.owner);
            }
        }
        by.values().removeIf(owners -> owners.size() < 2);
        return by;
    }

    /** One attachment to the hub. */
    public final class Port {
        private final String owner;
        private final Runnable wakeup;
        private final Map<Port, ArrayDeque<byte[]>> queues = new LinkedHashMap<>();
        private final ArrayDeque<Port> turn = new ArrayDeque<>();
        private volatile String lastSource;
        private long sent, received, dropped, malformed;
        private volatile boolean detached;

        private Port(String owner, Runnable wakeup) {
            this.owner = owner;
            this.wakeup = wakeup;
        }

        public String owner() {
            return owner;
        }

        /** The source address of the last frame this port sent, or null. */
        public String lastSource() {
            return lastSource;
        }

        /** Sends a frame from this port to every other one (copied; the caller keeps its buffer). */
        public void send(byte[] frame, int offset, int length) {
            if (!Frames.plausible(length)) {
                synchronized (this) {
                    malformed++;
                }
                return;
            }
            byte[] copy = Arrays.copyOfRange(frame, offset, offset + length);
            lastSource = Frames.source(copy, 0);
            synchronized (this) {
                if (detached) {
                    return;
                }
                sent++;
            }
            for (Port p : ports) {
                if (p != this) {
                    p.enqueue(this, copy);
                }
            }
        }

        private void enqueue(Port from, byte[] frame) {
            synchronized (this) {
                if (detached || from.detached) {
                    return;
                }
                ArrayDeque<byte[]> q = queues.computeIfAbsent(from, f -> new ArrayDeque<>());
                if (q.size() >= SHARE) {
                    dropped++;
                    return;
                }
                if (q.isEmpty()) {
                    turn.addLast(from);
                }
                q.addLast(frame);
            }
            wakeup.run();
        }

        /** The next frame for this port, taking each sender's frames in turn; null when none waits. */
        public synchronized byte[] poll() {
            Port from = turn.pollFirst();
            if (from == null) {
                return null;
            }
            ArrayDeque<byte[]> q = queues.get(from);
            byte[] f = q.removeFirst();
            if (!q.isEmpty()) {
                turn.addLast(from);
            }
            received++;
            return f;
        }

        /** Frames waiting for this port. */
        public synchronized int waiting() {
            int n = 0;
            for (ArrayDeque<byte[]> q : queues.values()) {
                n += q.size();
            }
            return n;
        }

        /** Leaves the hub: frames waiting for it are dropped, frames sent later go nowhere. */
        public void detach() {
            synchronized (Hub.this) {
                ports.remove(this);
            }
            synchronized (this) {
                detached = true;
                queues.clear();
                turn.clear();
            }
            for (Port p : ports) {
                p.forget(this);
            }
        }

        private synchronized void forget(Port gone) {
            queues.remove(gone);
            turn.remove(gone);
        }

        public synchronized Counters counters() {
            return new Counters(sent, received, dropped, malformed);
        }
    }

    /**
     * What a port did: frames it sent, frames it took, frames for it dropped because the sender's
     * share of its queue was full, and frames it sent that could not be frames.
     */
    public record Counters(long sent, long received, long dropped, long malformed) {}
}
