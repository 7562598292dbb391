package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Saves a machine whose changes exist only in this process (a run's progress, writes an NBD client
 * was told had succeeded) without ever dropping them silently: when the save fails (the store's
 * disk full, its lock held, a pack that cannot be written), it says so in one line and keeps the
 * machine in memory, retrying with growing pauses until the save works, until {@code giveUp} is
 * counted down (SIGINT or SIGTERM while it waits), which ends the command with a non-zero status and
 * one line saying what is lost. docs/cli.md ("When a save fails").
 *
 * <p>Threading: called on the command's thread; {@code giveUp} may be counted down from any.
 */
final class Saving {
    static final Duration FIRST_PAUSE = Duration.ofSeconds(1), LONGEST_PAUSE = Duration.ofSeconds(30);

    private final PrintWriter err;
    private final Duration firstPause, longestPause;

    Saving(PrintWriter err) {
        this(err, FIRST_PAUSE, LONGEST_PAUSE);
    }

    Saving(PrintWriter err, Duration firstPause, Duration longestPause) {
        this.err = err;
        this.firstPause = firstPause;
        this.longestPause = longestPause;
    }

    /**
     * Runs {@code save} until it returns; {@code what} names what is kept ("the 3 writes to d's
     * disk0") for the messages. A CliException (FAILURE) when {@code giveUp} ends the retries.
     */
    InstanceRecord save(String what, Supplier<InstanceRecord> save, CountDownLatch giveUp) {
        Duration pause = firstPause;
        String last = null;
        for (int attempt = 1; ; attempt++) {
            try {
                InstanceRecord saved = save.get();
                if (last != null) {
                    err.println("vmtree: saved " + what + " after " + attempt + " attempts");
                    err.flush();
                }
                return saved;
            } catch (RuntimeException e) {
                String reason = ErrorHandler.message(e);
                if (!reason.equals(last)) {
                    err.println("vmtree: cannot save " + what + ": " + reason + "; nothing is dropped: the machine stays in"
                            + " memory and the save is retried until it works (SIGINT or SIGTERM gives up)");
                    err.flush();
                }
                last = reason;
                try {
                    if (giveUp.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new CliException(ExitCodes.FAILURE, "gave up saving " + what + " after " + attempt
                                + (attempt == 1 ? " attempt" : " attempts") + ": " + reason + "; not saved, the"
                                + " instance stays at its last saved state");
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new CliException(ExitCodes.FAILURE, "interrupted while saving " + what + ": " + reason
                            + "; not saved, the instance stays at its last saved state");
                }
                pause = pause.multipliedBy(2).compareTo(longestPause) > 0 ? longestPause : pause.multipliedBy(2);
            }
        }
    }
}
