package dev.vmtree.dom0.service;

import dev.vmtree.dom0.MachineDriver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The console of one background instance: the guest's output goes to its history file (what
 * {@code vmtree logs} shows, {@value #HISTORY_MAX} bytes and one older file) and to every attached
 * viewer; its input comes from one viewer at a time, the typist (the first attached viewer that
 * asked to type; when it leaves, the next one that asked). docs/cli.md ("Background instances").
 *
 * <p>Threading: the machine's thread calls {@link #poll} and {@link #write}; a pump thread moves
 * output to the file and the viewers every {@value #PUMP_MILLIS} ms, each viewer has its own
 * sender, so a slow viewer never holds the guest up: one that falls {@value #VIEWER_BACKLOG}
 * chunks behind is disconnected with a message. Input from the typist waits when
 * {@value #INPUT_MAX} bytes are pending, so a pasted file flows at the guest's pace.
 */
final class ConsoleHub implements MachineDriver.Console, AutoCloseable {
    static final int HISTORY_MAX = 1 << 20, PUMP_MILLIS = 20, VIEWER_BACKLOG = 1024, INPUT_MAX = 1 << 16;

    /** One attached connection. */
    final class Viewer {
        final Wire wire;
        final boolean wantsInput;
        private final BlockingQueue<Object> backlog = new ArrayBlockingQueue<>(VIEWER_BACKLOG + 16);
        private volatile boolean gone;
        private final Thread sender;

        private Viewer(Wire wire, boolean wantsInput) {
            this.wire = wire;
            this.wantsInput = wantsInput;
            this.sender = Thread.ofVirtual().name("console viewer").start(this::send);
        }

        /** Waits (a few seconds at most) until everything queued for this viewer has been sent, after {@link #detach}. */
        void awaitSent() {
            try {
                sender.join(java.time.Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void offer(byte[] chunk) {
            if (!gone && (backlog.remainingCapacity() <= 16 || !backlog.offer(chunk))) {
                gone = true;
                backlog.clear();
                backlog.offer(CLOSE_SLOW);
            }
        }

        private void send() {
            try {
                while (true) {
                    Object next = backlog.take();
                    if (next instanceof java.util.Map<?, ?> m) {
                        @SuppressWarnings("unchecked")
                        java.util.Map<String, Object> event = (java.util.Map<String, Object>) m;
                        wire.send(event);
                        continue;
                    }
                    byte[] b = (byte[]) next;
                    if (b == CLOSE || b == CLOSE_SLOW) {
                        if (b == CLOSE_SLOW) {
                            wire.send(Json.object("event", "dropped", "why",
                                    "this viewer fell too far behind the guest's output"));
                            wire.close();
                        }
                        return;
                    }
                    wire.send(Json.object("event", "output", "data", Base64.getEncoder().encodeToString(b)));
                }
            } catch (IOException | InterruptedException e) {
                gone = true;
                wire.close();
            }
        }

        /** Sends one event in order with the output: after every output chunk queued before it. */
        void event(java.util.Map<String, Object> event) throws IOException {
            if (gone || !backlog.offer(event)) {
                throw new IOException("viewer gone");
            }
        }

        void stopSending() {
            gone = true;
            if (!backlog.offer(CLOSE)) {
                backlog.clear();        // a viewer leaving with a full backlog: what it has not taken is dropped
                backlog.offer(CLOSE);
            }
        }
    }

    private static final byte[] CLOSE = new byte[0], CLOSE_SLOW = new byte[0];

    private final Path history;
    private volatile Runnable onInput = () -> {};
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final byte[] input = new byte[INPUT_MAX];
    private int inputStart, inputCount;
    private final List<Viewer> viewers = new ArrayList<>();
    private Viewer typist;
    private final Thread pump;
    private volatile boolean closed;

    /**
     * @param history the history file (created; the previous history is kept as {@code FILE.1})
     */
    ConsoleHub(Path history) {
        this.history = history;
        this.pump = Thread.ofPlatform().daemon().name("console pump").start(this::pumpLoop);
    }

    /** Called when input arrives (the supervisor wakes a guest waiting for it). */
    void onInput(Runnable r) {
        this.onInput = r;
    }

    // ---- the machine's side ---------------------------------------------------------------------

    @Override
    public synchronized int poll() {
        if (inputCount == 0) {
            return NONE;
        }
        int b = input[inputStart] & 0xff;
        inputStart = (inputStart + 1) % input.length;
        inputCount--;
        notifyAll();
        return b;
    }

    /** Whether typed input waits for the guest. */
    synchronized boolean inputPending() {
        return inputCount > 0;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        synchronized (pending) {
            pending.write(b, off, len);
        }
    }

    // ---- viewers --------------------------------------------------------------------------------

    /** Attaches a connection; returns its viewer. It types when it asks to and nobody else does. */
    synchronized Viewer attach(Wire wire, boolean wantsInput) {
        Viewer v = new Viewer(wire, wantsInput);
        viewers.add(v);
        if (wantsInput && typist == null) {
            typist = v;
        }
        return v;
    }

    synchronized boolean typing(Viewer v) {
        return typist == v;
    }

    /**
     * Takes typed bytes from viewer {@code v}: false (nothing taken) when it is not the typist.
     * Waits while the guest has {@value #INPUT_MAX} bytes not yet read.
     */
    boolean type(Viewer v, byte[] data) throws InterruptedException {
        synchronized (this) {
            if (typist != v) {
                return false;
            }
            for (byte b : data) {
                while (inputCount == input.length && !closed) {
                    wait(100);
                }
                if (closed) {
                    return true;
                }
                input[(inputStart + inputCount) % input.length] = b;
                inputCount++;
            }
        }
        onInput.run();
        return true;
    }

    /** Detaches a viewer; the next viewer that asked to type becomes the typist (and is told). */
    void detach(Viewer v) {
        Viewer next = null;
        synchronized (this) {
            if (!viewers.remove(v)) {
                return;
            }
            v.stopSending();
            if (typist == v) {
                typist = viewers.stream().filter(o -> o.wantsInput).findFirst().orElse(null);
                next = typist;
            }
        }
        if (next != null) {
            try {
                next.event(Json.object("event", "typing"));
            } catch (IOException ignored) {
                // that viewer is going too
            }
        }
    }

    /** Every viewer attached now. */
    synchronized List<Viewer> viewers() {
        return List.copyOf(viewers);
    }

    // ---- the pump -------------------------------------------------------------------------------

    private void pumpLoop() {
        FileChannel f = null;
        try {
            f = openHistory();
        } catch (IOException e) {
            // no history this run: the viewers still get every byte
        }
        try {
            while (true) {
                boolean last = closed;
                byte[] chunk;
                synchronized (pending) {
                    chunk = pending.toByteArray();
                    pending.reset();
                }
                if (chunk.length > 0) {
                    f = append(f, chunk);
                    for (Viewer v : viewers()) {
                        v.offer(chunk);
                    }
                }
                if (last) {
                    return;
                }
                Thread.sleep(PUMP_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeHistory(f, true);
        }
    }

    private FileChannel openHistory() throws IOException {
        Files.createDirectories(history.getParent());
        return FileChannel.open(history, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    /**
     * Appends to the history, starting a new file (the old one kept as FILE.1) past {@value
     * #HISTORY_MAX} bytes. The history is best effort: once it cannot be written (disk full, its
     * directory gone) this returns null and the run goes on without it.
     */
    private FileChannel append(FileChannel f, byte[] chunk) {
        if (f == null) {
            return null;
        }
        try {
            if (f.size() + chunk.length > HISTORY_MAX && f.size() > 0) {
                f.close();
                Files.move(history, Dom0Paths.older(history), StandardCopyOption.REPLACE_EXISTING);
                f = openHistory();
            }
            ByteBuffer b = ByteBuffer.wrap(chunk);
            while (b.hasRemaining()) {
                f.write(b);
            }
            return f;
        } catch (IOException e) {
            closeHistory(f, false);
            return null;
        }
    }

    private static void closeHistory(FileChannel f, boolean force) {
        if (f == null) {
            return;
        }
        try (f) {
            if (force && f.isOpen()) {
                f.force(false);
            }
        } catch (IOException e) {
            // best effort, as above
        }
    }

    /** Moves the last output out and stops the pump; viewers stay attached (the supervisor says goodbye). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            pump.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
