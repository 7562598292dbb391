package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.SnapshotId;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A save that fails keeps what it saves in memory and retries; only a signal gives it up, loudly. */
class SavingTest {
    private final StringWriter err = new StringWriter();
    private final Saving saving = new Saving(new PrintWriter(err, true), Duration.ofMillis(1), Duration.ofMillis(4));
    private static final InstanceRecord SAVED = new InstanceRecord("d", new SnapshotId("a".repeat(40)), "d", null, null,
            Instant.EPOCH);

    @Test
    void aSaveThatFailsIsRetriedUntilItWorksAndEachNewReasonIsOneLine() {
        AtomicInteger calls = new AtomicInteger();
        InstanceRecord r = saving.save("the 3 writes to d's disk0", () -> {
            int n = calls.incrementAndGet();
            if (n <= 4) {
                throw ToolstackException.failed(n <= 3 ? "the disk is full" : "the lock is held");
            }
            return SAVED;
        }, new CountDownLatch(1));
        assertThat(r).isSameAs(SAVED);
        assertThat(calls).hasValue(5);
        assertThat(err.toString().lines()).containsExactly(
                "vmtree: cannot save the 3 writes to d's disk0: the disk is full; nothing is dropped: the machine"
                        + " stays in memory and the save is retried until it works (SIGINT or SIGTERM gives up)",
                "vmtree: cannot save the 3 writes to d's disk0: the lock is held; nothing is dropped: the machine"
                        + " stays in memory and the save is retried until it works (SIGINT or SIGTERM gives up)",
                "vmtree: saved the 3 writes to d's disk0 after 5 attempts");
    }

    @Test
    void aSaveThatWorksAtOnceSaysNothing() {
        assertThat(saving.save("x", () -> SAVED, new CountDownLatch(1))).isSameAs(SAVED);
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void givingUpIsANonZeroExitWithOneLineSayingWhatIsLost() {
        CountDownLatch giveUp = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> saving.save("d's run", () -> {
            if (calls.incrementAndGet() == 3) {
                giveUp.countDown();
            }
            throw new IllegalStateException("boom");
        }, giveUp)).isInstanceOfSatisfying(CliException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCodes.FAILURE);
            assertThat(e.getMessage()).startsWith("gave up saving d's run after 3 attempts: internal error")
                    .endsWith("; not saved, the instance stays at its last saved state").doesNotContain("\n");
        });
    }
}
