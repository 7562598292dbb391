package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Instance sessions (issue 12 items 4 and 6): a change made while another command holds an instance
 * is refused or kept, never silently overwritten; a commit killed between moving the branch and
 * rewriting the record is finished by the next command; a detached snapshot left behind is warned
 * about and kept by the instance's reflog.
 */
class InstanceSessionTest {
    static final long ADDRESS = 0x8000_1000L;

    @TempDir
    Path dir;

    Dom0Fixture f;
    SnapshotId a;
    SnapshotId b;

    @BeforeEach
    void history() {
        f = new Dom0Fixture(dir).init();
        a = f.snapshot(null, "main", "a");
        b = f.snapshot(a, "main", "b");
        f.vm("instance", "add", "vm1", "main").ok();
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** What `mem write` does, through the toolstack. */
    private void memWrite(String instance, String data) {
        try (Toolstack ts = Toolstack.open(f.repo)) {
            ts.machines().edit(instance, m -> m.writeMemory(ADDRESS, text(data)));
        }
    }

    /** The bytes at {@link #ADDRESS} where the instance stands now. */
    private String memRead(String instance, int length) {
        try (Toolstack ts = Toolstack.open(f.repo); LiveMachine m = ts.machines().open(ts.instances().get(instance))) {
            return new String(m.readMemory(ADDRESS, length), StandardCharsets.US_ASCII);
        }
    }

    enum Move { COMMIT, CHECKOUT, ROLLBACK }

    /**
     * Item 6. The move runs in one thread and is held at its first wait for the repository lock (the
     * test holds it), after it has read the record; a `mem write` then runs to its end in another
     * thread before the move goes on. Before sessions the move had not taken the instance lock, the
     * write succeeded, and the move then overwrote the record from its earlier read: the write was lost.
     */
    @ParameterizedTest
    @EnumSource(Move.class)
    void aMemWriteDuringACommitCheckoutOrRollbackIsRefusedOrKeptNeverLost(Move move) throws Exception {
        if (move == Move.COMMIT) {
            memWrite("vm1", "first");
        }
        CountDownLatch moveWaits = new CountDownLatch(1);
        CountDownLatch writeDone = new CountDownLatch(1);
        CompletableFuture<Object> moving;
        Object writeOutcome;
        // own threads: the common pool may have one worker on a small machine, and the move blocks its thread
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        try (threads; Toolstack holder = Toolstack.open(f.repo)) {
            WriteTransaction held = holder.beginWrite();
            moving = CompletableFuture.supplyAsync(() -> {
                try (Toolstack ts = Toolstack.open(f.repo)) {
                    ts.setNotices(m -> {
                        if (m.startsWith("waiting for")) {
                            moveWaits.countDown();
                            await(writeDone);
                        }
                    });
                    return switch (move) {
                        case COMMIT -> ts.machines().commit("vm1", "first");
                        case CHECKOUT -> ts.checkout("vm1", "main~1", false);
                        case ROLLBACK -> ts.rollback("vm1", null, false);
                    };
                }
            }, threads);
            assertThat(moveWaits.await(60, TimeUnit.SECONDS)).as("the move waits for the repository lock").isTrue();
            CompletableFuture<Object> writing = CompletableFuture.supplyAsync(() -> {
                try {
                    memWrite("vm1", "second");
                    return "written";
                } catch (ToolstackException e) {
                    return e;
                }
            }, threads);
            held.close();
            writeOutcome = writing.get(60, TimeUnit.SECONDS);
            writeDone.countDown();
            moving.get(60, TimeUnit.SECONDS);
        } finally {
            writeDone.countDown();
        }
        if (writeOutcome instanceof ToolstackException e) {
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(ToolstackException.Kind.LOCKED);
            assertThat(memRead("vm1", 6)).isNotEqualTo("second");
        } else {
            assertThat(memRead("vm1", 6)).as("a mem write that reported success is where vm1 stands").isEqualTo("second");
        }
        f.vm("fsck").ok();
    }

    /**
     * Issue 15: `branch -d` looked for instances on the branch before taking the writer lock, so an
     * instance that checked the branch out while it waited was left on a deleted branch. The test holds
     * the lock; while the deletion waits for it, the test puts vm1 on branch x (as a checkout would).
     */
    @Test
    void aBranchDeletedWhileAnInstanceChecksItOutIsRefused() throws Exception {
        f.snapshot(a, "x", "c");
        CountDownLatch deleteWaits = new CountDownLatch(1);
        CountDownLatch movedOn = new CountDownLatch(1);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        Object outcome;
        try (threads; Toolstack holder = Toolstack.open(f.repo)) {
            WriteTransaction held = holder.beginWrite();
            CompletableFuture<Object> deleting = CompletableFuture.supplyAsync(() -> {
                try (Toolstack ts = Toolstack.open(f.repo)) {
                    ts.setNotices(m -> {
                        if (m.startsWith("waiting for")) {
                            deleteWaits.countDown();
                            await(movedOn);
                        }
                    });
                    return ts.refs().deleteBranch("x", true);
                } catch (ToolstackException e) {
                    return e;
                }
            }, threads);
            assertThat(deleteWaits.await(60, TimeUnit.SECONDS)).as("the deletion waits for the repository lock").isTrue();
            holder.instances().save(held, holder.instances().get("vm1").withBranch("x"));
            held.close();
            movedOn.countDown();
            outcome = deleting.get(60, TimeUnit.SECONDS);
        } finally {
            movedOn.countDown();
        }
        assertThat(outcome).isInstanceOf(ToolstackException.class);
        assertThat(((ToolstackException) outcome).getMessage()).isEqualTo("branch 'x' is in use by instance vm1; check out"
                + " another branch there or remove the instance first");
        assertThat(f.vm("branch").ok().out()).contains("x");
    }

    /**
     * Issue 15: checkout read the branch before taking the writer lock, so a branch deleted while it
     * waited was still put in the record: an instance on no branch. The test deletes x meanwhile.
     */
    @Test
    void aCheckoutOfABranchDeletedMeanwhileIsRefused() throws Exception {
        SnapshotId c = f.snapshot(a, "x", "c");
        CountDownLatch checkoutWaits = new CountDownLatch(1);
        CountDownLatch deleted = new CountDownLatch(1);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        Object outcome;
        try (threads; Toolstack holder = Toolstack.open(f.repo)) {
            WriteTransaction held = holder.beginWrite();
            CompletableFuture<Object> checkingOut = CompletableFuture.supplyAsync(() -> {
                try (Toolstack ts = Toolstack.open(f.repo)) {
                    ts.setNotices(m -> {
                        if (m.startsWith("waiting for")) {
                            checkoutWaits.countDown();
                            await(deleted);
                        }
                    });
                    return ts.checkout("vm1", "x", false);
                } catch (ToolstackException e) {
                    return e;
                }
            }, threads);
            assertThat(checkoutWaits.await(60, TimeUnit.SECONDS)).as("the checkout waits for the repository lock").isTrue();
            assertThat(held.updateRef("refs/heads/x", c, null, "branch: deleted").ok()).isTrue();
            held.close();
            deleted.countDown();
            outcome = checkingOut.get(60, TimeUnit.SECONDS);
        } finally {
            deleted.countDown();
        }
        assertThat(outcome).isInstanceOf(ToolstackException.class);
        assertThat(((ToolstackException) outcome).getMessage()).isEqualTo("branch 'x' moved or was deleted meanwhile;"
                + " run the command again");
        try (Toolstack ts = Toolstack.open(f.repo)) {
            assertThat(ts.instances().get("vm1").branch()).isEqualTo("main");
        }
    }

    private static void await(CountDownLatch l) {
        try {
            assertThat(l.await(60, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Item 4. The on-disk state a SIGKILL leaves between a commit's two steps: the snapshot written and
     * the branch moved to it, the record still naming the old base and the working state.
     */
    @Test
    void aCommitKilledAfterMovingTheBranchIsFinishedByTheNextCommand() {
        memWrite("vm1", "hello");
        SnapshotId killed;
        try (Toolstack ts = Toolstack.open(f.repo); WriteTransaction tx = ts.beginWrite()) {
            InstanceRecord r = ts.instances().get("vm1");
            SnapshotContent content = new SnapshotContent(new HashMap<>(ts.machines().workingState(r.working()).files()),
                    r.working().images());
            killed = tx.writeSnapshot(List.of(r.base()), content, "hello in RAM");
            assertThat(tx.updateRef("refs/heads/main", b, killed, "commit: hello in RAM").ok()).isTrue();
        }
        String status = f.vm("--json", "status").ok().out();
        assertThat(Dom0Fixture.field(status, "head")).isEqualTo(killed.hex());
        assertThat(Dom0Fixture.field(status, "branch")).isEqualTo("main");
        assertThat(Dom0Fixture.field(status, "dirty")).isEqualTo("false");
        assertThat(Dom0Fixture.field(status, "behind")).isEqualTo("0");
        Dom0Fixture.Result again = f.vm("commit", "-m", "hello in RAM").ok();
        assertThat(again.out()).startsWith("nothing to commit");
        assertThat(f.vm("log", "--oneline").ok().out()).startsWith(killed.shortHex() + " (HEAD, main) hello in RAM\n")
                .contains(b.shortHex()).hasLineCount(3);
        assertThat(memRead("vm1", 5)).isEqualTo("hello");
        assertThat(f.vm("reflog").ok().out()).startsWith(killed.shortHex()
                + " HEAD@{0}: commit: hello in RAM (finished after an interrupted commit)\n");
        f.vm("fsck").ok();
    }

    /**
     * Item 4. Two instances commit on one branch; the second is left detached. Checking out elsewhere
     * warns (naming the snapshot and how to keep it), and the instance's reflog keeps it through gc.
     */
    @Test
    void aDetachedSnapshotLeftBehindIsWarnedAboutAndKeptByTheInstanceReflog() {
        f.vm("instance", "add", "vm2", "main").ok();
        memWrite("vm1", "one");
        memWrite("vm2", "two");
        f.vm("commit", "-i", "vm1", "-m", "from vm1").ok();
        Dom0Fixture.Result second = f.vm("--json", "commit", "-i", "vm2", "-m", "from vm2").ok();
        assertThat(Dom0Fixture.field(second.out(), "branch")).isEqualTo("null");
        SnapshotId detached = new SnapshotId(Dom0Fixture.field(second.out(), "snapshot"));
        Dom0Fixture.Result away = f.vm("checkout", "-i", "vm2", "main").ok();
        assertThat(away.err()).isEqualTo("vmtree: warning: leaving snapshot " + detached.shortHex() + " (from vm2)"
                + " behind: no branch, tag or other instance reaches it. It stays in the instance's reflog"
                + " (`vmtree reflog -i vm2`) until gc.reflogExpire. To keep it: `vmtree branch NAME "
                + detached.shortHex() + "`\n");
        assertThat(f.vm("reflog", "-i", "vm2").ok().out()).contains(detached.shortHex() + " HEAD@{1}: commit (detached):"
                + " from vm2\n");
        f.vm("gc").ok();
        f.vm("branch", "kept", detached.shortHex()).ok();
        f.vm("checkout", "-i", "vm2", "kept").ok();
        assertThat(memRead("vm2", 3)).isEqualTo("two");
        f.vm("fsck").ok();
    }

    /** Item 4: removing an instance that alone reaches its detached snapshot says so; a new one of that name starts afresh. */
    @Test
    void removingTheOnlyInstanceOnADetachedSnapshotWarns() {
        f.vm("instance", "add", "vm2", "main").ok();
        memWrite("vm1", "one");
        memWrite("vm2", "two");
        f.vm("commit", "-i", "vm1", "-m", "from vm1").ok();
        SnapshotId detached = new SnapshotId(Dom0Fixture.field(f.vm("--json", "commit", "-i", "vm2", "-m", "from vm2")
                .ok().out(), "snapshot"));
        Dom0Fixture.Result removed = f.vm("instance", "remove", "vm2").ok();
        assertThat(removed.err()).startsWith("vmtree: warning: leaving snapshot " + detached.shortHex() + " (from vm2)"
                + " behind").endsWith("To keep it: `vmtree branch NAME " + detached.shortHex() + "` (it goes at the next"
                + " gc)\n");
        f.vm("instance", "add", "vm2", "main").ok();
        assertThat(f.vm("reflog", "-i", "vm2").ok().out()).endsWith(" HEAD@{0}: instance: created at "
                + f.vm("--json", "status", "-i", "vm2").ok().out().replaceAll(".*\"head\":\"([0-9a-f]{12}).*", "$1").trim()
                + " on branch main\n");
        f.vm("fsck").ok();
    }

    /** Item 4: leaving a detached snapshot that a branch reaches says nothing. */
    @Test
    void leavingADetachedSnapshotABranchReachesSaysNothing() {
        f.vm("checkout", "main~1").ok();
        assertThat(f.vm("checkout", "main").ok().err()).isEmpty();
    }

    /** Item 18: `checkout -` goes back to where the instance was before its last checkout. */
    @Test
    void checkoutDashGoesBackToThePreviousPosition() {
        assertThat(f.vm("checkout", "-").exit()).isEqualTo(ExitCodes.FAILURE);
        f.vm("checkout", "-b", "topic", "main~1").ok();
        f.vm("checkout", "-").ok();
        String status = f.vm("--json", "status").ok().out();
        assertThat(Dom0Fixture.field(status, "branch")).isEqualTo("main");
        assertThat(Dom0Fixture.field(status, "head")).isEqualTo(b.hex());
        f.vm("checkout", "-").ok();
        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "branch")).isEqualTo("topic");
        f.vm("checkout", a.hex()).ok();
        f.vm("checkout", "main").ok();
        f.vm("checkout", "-").ok();
        status = f.vm("--json", "status").ok().out();
        assertThat(Dom0Fixture.field(status, "branch")).isEqualTo("null");
        assertThat(Dom0Fixture.field(status, "head")).isEqualTo(a.hex());
    }

    /** Item 18: `reflog` with no REF is the current instance's (HEAD), detached moves included. */
    @Test
    void reflogOfAnInstanceListsItsCommitsCheckoutsAndRollbacks() {
        f.vm("checkout", a.hex()).ok();
        f.vm("checkout", "main").ok();
        f.vm("rollback").ok();
        String log = f.vm("reflog").ok().out();
        assertThat(log).isEqualTo(a.shortHex() + " HEAD@{0}: rollback: to " + a.shortHex() + " from " + b.shortHex() + "\n"
                + b.shortHex() + " HEAD@{1}: checkout: moving from " + a.hex() + " to main\n"
                + a.shortHex() + " HEAD@{2}: checkout: moving from main to " + a.hex() + "\n"
                + b.shortHex() + " HEAD@{3}: instance: created at " + b.shortHex() + " on branch main\n");
        assertThat(f.vm("reflog", "HEAD").ok().out()).isEqualTo(log);
        assertThat(f.vm("reflog", "-i", "vm1").ok().out()).isEqualTo(log);
        assertThat(f.vm("--json", "reflog").ok().out()).startsWith("[{\"old\":\"" + b.hex() + "\",\"new\":\"" + a.hex() + "\"");
        assertThat(f.vm("reflog", "-i", "vm1", "main").exit()).isEqualTo(ExitCodes.USAGE);
        // an instance made before reflogs gets one at its next command
        try (Toolstack ts = Toolstack.open(f.repo); WriteTransaction tx = ts.beginWrite()) {
            assertThat(tx.updateRef("refs/instances/vm1", a, null, "gone").ok()).isTrue();
        }
        assertThat(f.vm("reflog").ok().out()).endsWith(a.shortHex() + " HEAD@{0}: instance: at " + a.shortHex() + "\n");
        // the ref does not show up as a branch or a log decoration
        assertThat(f.vm("log", "--oneline", "--all").ok().out()).doesNotContain("instances");
        assertThat(f.vm("branch").ok().out()).doesNotContain("instances");
    }

    /** Item 6: the CAS itself: a record changed behind a session's back is not overwritten. */
    @Test
    void aSessionSavesOnlyOverTheRecordItRead() {
        try (Toolstack ts = Toolstack.open(f.repo); var s = ts.session("vm1", "test")) {
            InstanceRecord read = s.record();
            try (WriteTransaction tx = ts.beginWrite()) {
                ts.instances().save(tx, read.withBase(a, null));   // a writer that ignored the lock
            }
            try (WriteTransaction tx = ts.beginWrite()) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.save(tx, read.withBranch(null)))
                        .isInstanceOf(ToolstackException.class).hasMessageContaining("nothing was saved");
            }
            assertThat(ts.instances().get("vm1").base()).isEqualTo(a);
        }
    }
}
