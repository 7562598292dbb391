package dev.vmtree.cli;

import dev.vmtree.dom0.MachineDriver.StopCause;
import dev.vmtree.dom0.MachineValues;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The guest console of one {@code run} or {@code exec}, and what may stop it from outside, set up
 * alike for both: on a terminal (standard input and output both), character mode ({@link Tty})
 * with every key for the guest but the detach key; otherwise standard input or an {@code --input}
 * file, streamed, whose end is the end of input (waiting for input that has not come yet is not
 * its end). SIGINT and SIGTERM, the detach key and {@code --timeout} ask the machine to stop
 * through {@code stop}, so the run ends on the machine's own thread with its output flushed (and,
 * for {@code run}, its state saved). {@link #close} puts the terminal and the signal handlers back.
 */
final class ConsoleSession implements AutoCloseable {
    private final TerminalConsole console;
    private final boolean terminal;
    private final Tty tty;
    private final SignalHandler previousInt, previousTerm;
    private final ScheduledExecutorService timer;
    private volatile int signalStatus;
    private boolean released, closed;

    private ConsoleSession(TerminalConsole console, boolean terminal, Consumer<StopCause> stop, Duration timeout) {
        this.console = console;
        this.terminal = terminal;
        this.tty = terminal ? Tty.raw() : null;
        this.previousInt = handle("INT", () -> signalled(130, stop));
        this.previousTerm = handle("TERM", () -> signalled(143, stop));
        if (timeout != null) {
            timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory());
            timer.schedule(() -> stop.accept(StopCause.TIMEOUT), timeout.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /** The first signal names the status; any asks the machine to stop (a no-op once it has). */
    private synchronized void signalled(int status, Consumer<StopCause> stop) {
        if (signalStatus == 0) {
            signalStatus = status;
        }
        stop.accept(StopCause.SIGNAL);
    }

    /**
     * Opens the console for guest output on {@code out}.
     *
     * @param input   null: this terminal, or standard input when it is not one; "-": standard input;
     *                else a file (CANNOT_RUN when it cannot be read, before anything is set up)
     * @param timeout wall-clock time after which {@code stop} gets {@link StopCause#TIMEOUT}, or null
     * @param stop    asks the machine to stop; called from signal, timer and console threads
     */
    static ConsoleSession open(PrintWriter out, String input, Duration timeout, Consumer<StopCause> stop) {
        if (input == null) {
            boolean terminal = Tty.interactive();
            return new ConsoleSession(new TerminalConsole(out, System.in, terminal, () -> stop.accept(StopCause.DETACH)),
                    terminal, stop, timeout);
        }
        if (input.equals("-")) {
            return new ConsoleSession(new TerminalConsole(out, System.in, false, () -> {}), false, stop, timeout);
        }
        TerminalConsole file = TerminalConsole.ofFile(out, MachineValues.openStream("--input", Path.of(input)));
        return new ConsoleSession(file, false, stop, timeout);
    }

    TerminalConsole console() {
        return console;
    }

    /** Whether the guest has this terminal (character mode, the detach key). */
    boolean terminal() {
        return terminal;
    }

    /** 130 after SIGINT, 143 after SIGTERM, else 0. */
    int signalStatus() {
        return signalStatus;
    }

    /**
     * Ends the console: output flushed, an input file closed, the timer stopped, the terminal put
     * back; the signal handlers stay, so a second SIGTERM cannot cut what the command does next
     * (run's suspend). Idempotent.
     */
    void release() {
        if (released) {
            return;
        }
        released = true;
        console.flush();
        console.closeInput();
        if (timer != null) {
            timer.shutdownNow();
        }
        if (tty != null) {
            tty.close();
        }
    }

    /** {@link #release}, then the signal handlers put back; idempotent. */
    @Override
    public void close() {
        release();
        if (closed) {
            return;
        }
        closed = true;
        restore("INT", previousInt);
        restore("TERM", previousTerm);
    }

    static SignalHandler handle(String name, Runnable action) {
        try {
            return Signal.handle(new Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            return null;     // the signal is reserved here (e.g. by a debugger): run without it
        }
    }

    static void restore(String name, SignalHandler previous) {
        if (previous != null) {
            try {
                Signal.handle(new Signal(name), previous);
            } catch (IllegalArgumentException ignored) {
                // nothing to restore
            }
        }
    }
}
