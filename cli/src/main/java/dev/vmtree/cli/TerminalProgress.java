package dev.vmtree.cli;

import dev.vmtree.dom0.Progress;
import java.io.PrintWriter;
import java.util.function.LongSupplier;

/**
 * A progress line on stderr for work that takes over a second: after the first second, every
 * 200 ms, {@code vmtree: LABEL: N UNIT, 2.4 s} rewritten in place; the final figure stays on its
 * line when the work ends. Only on a terminal, and never with -q or --json.
 */
final class TerminalProgress implements Progress {
    private static final long QUIET_NANOS = 1_000_000_000L, PERIOD_MILLIS = 200;
    private final PrintWriter err;

    private TerminalProgress(PrintWriter err) {
        this.err = err;
    }

    /**
     * The progress reporter for a command: a terminal line when the invocation's terminal
     * ({@code interactive}, asked only then) is one and output is human.
     */
    static Progress forCommand(PrintWriter err, boolean quiet, boolean json, java.util.function.BooleanSupplier interactive) {
        return quiet || json || !interactive.getAsBoolean() ? Progress.NONE : new TerminalProgress(err);
    }

    @Override
    public Task begin(String label, String unit, LongSupplier done) {
        long start = System.nanoTime();
        boolean[] shown = {false};
        Thread ticker = Thread.ofPlatform().daemon().name("vmtree-progress").start(() -> {
            try {
                Thread.sleep(QUIET_NANOS / 1_000_000);
                while (!Thread.currentThread().isInterrupted()) {
                    print(label, unit, done, start, false);
                    shown[0] = true;
                    Thread.sleep(PERIOD_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return () -> {
            ticker.interrupt();
            try {
                ticker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (shown[0]) {
                print(label, unit, done, start, true);
            }
        };
    }

    private synchronized void print(String label, String unit, LongSupplier done, long start, boolean last) {
        double s = (System.nanoTime() - start) / 1e9;
        String count = done == null ? "" : String.format("%,d %s, ", done.getAsLong(), unit);
        err.print(String.format("\rvmtree: %s: %s%.1f s%s", label, count, s, last ? "\n" : ""));
        err.flush();
    }
}
