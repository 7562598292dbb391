package dev.vmtree.cli;

import dev.vmtree.dom0.MachineDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The console of {@code vmtree run}: guest output to the command's writer (UTF-8 decoded across
 * writes), input from a stream read by a daemon thread into a queue so the machine never blocks on
 * it. On a terminal the detach key {@value #DETACH_NAME} (0x1d) is not given to the guest: it
 * calls {@code onDetach}. The end of the stream ends the input ({@link MachineDriver.Console#END}).
 * Used by {@code run} and {@code exec} alike (through {@link ConsoleSession}).
 */
final class TerminalConsole implements MachineDriver.Console {
    static final int DETACH = 0x1d;
    static final String DETACH_NAME = "Ctrl-]";
    private static final int EOF = -2;

    private final PrintWriter out;
    private final BlockingQueue<Integer> input = new ArrayBlockingQueue<>(1 << 16);
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer pending = ByteBuffer.allocate(8192);
    private final CharBuffer chars = CharBuffer.allocate(8192);
    private volatile boolean ended;

    private final InputStream in;
    private final boolean detach;
    private final Runnable onDetach;
    private boolean started;
    /** A file is read on the machine's thread (it never blocks for long), so its bytes are there at the first poll. */
    private final boolean direct;
    private final byte[] buffer;
    private int bufferPos, bufferEnd;

    /**
     * @param in       input bytes (null: none at all); read from the first time the guest asks for
     *                 input, so a guest that never reads leaves the stream alone
     * @param detach   whether the detach key is special (interactive terminals)
     * @param onDetach called on the reader thread when the detach key arrives
     */
    TerminalConsole(PrintWriter out, InputStream in, boolean detach, Runnable onDetach) {
        this(out, in, detach, onDetach, false);
    }

    private TerminalConsole(PrintWriter out, InputStream in, boolean detach, Runnable onDetach, boolean direct) {
        this.out = out;
        this.in = in;
        this.detach = detach;
        this.onDetach = onDetach;
        this.direct = direct;
        this.buffer = direct ? new byte[8192] : null;
        if (in == null) {
            ended = true;
        }
    }

    /**
     * The input of a file (or any stream that never waits for a writer), read on the machine's
     * thread as the guest asks: every byte is there the first time the guest looks, so the same
     * file gives the same run, with no race against a reader thread.
     */
    static TerminalConsole ofFile(PrintWriter out, InputStream in) {
        return new TerminalConsole(out, in, false, () -> {}, true);
    }

    private void startReader() {
        started = true;
        Thread reader = Thread.ofPlatform().daemon().name("vmtree-console-input").unstarted(() -> {
            try {
                int c;
                while ((c = in.read()) >= 0) {
                    if (detach && c == DETACH) {
                        onDetach.run();
                        return;
                    }
                    input.put(c);
                }
                input.put(EOF);
            } catch (IOException | InterruptedException e) {
                try {
                    input.put(EOF);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        reader.setUncaughtExceptionHandler((t, e) -> ended = true);
        reader.start();
    }

    /** The input of a whole byte array, then its end. */
    static TerminalConsole ofBytes(PrintWriter out, byte[] bytes) {
        return ofFile(out, new java.io.ByteArrayInputStream(bytes));
    }

    private int pollDirect() {
        if (bufferPos == bufferEnd) {
            if (ended) {
                return END;
            }
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                n = -1;
            }
            if (n <= 0) {
                ended = true;
                return END;
            }
            bufferPos = 0;
            bufferEnd = n;
        }
        return buffer[bufferPos++] & 0xFF;
    }

    @Override
    public int poll() {
        if (direct) {
            return pollDirect();
        }
        if (!started && !ended) {
            startReader();
        }
        if (ended && input.isEmpty()) {
            return END;
        }
        Integer c = input.poll();
        if (c == null) {
            return NONE;
        }
        if (c == EOF) {
            ended = true;
            return END;
        }
        return c;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (!pending.hasRemaining()) {
                drain();
            }
            pending.put(b[i]);
        }
        drain();
    }

    private void drain() {
        pending.flip();
        decoder.decode(pending, chars, false);
        pending.compact();
        chars.flip();
        out.append(chars);
        chars.clear();
        if (pending.position() > 16) {
            pending.clear();   // undecodable garbage: drop it rather than stall the console
        }
    }

    @Override
    public void flush() {
        out.flush();
    }

    /** Closes a file being read directly; a stream read by the reader thread (standard input) stays open. */
    void closeInput() {
        if (direct && in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // read-only: nothing lost
            }
        }
    }
}
