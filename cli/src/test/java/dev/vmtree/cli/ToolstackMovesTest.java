package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The toolstack's record half of checkout and rollback: refs, records, refusals. */
class ToolstackMovesTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    SnapshotId a;
    SnapshotId b;
    SnapshotId c;

    @BeforeEach
    void history() {
        f = new Dom0Fixture(dir).init();
        a = f.snapshot(null, "main", "a");
        b = f.snapshot(a, "main", "b");
        c = f.snapshot(b, "main", "c");
        f.vm("instance", "add", "vm1", "main").ok();
    }

    private void makeDirty(Toolstack ts) {
        try (WriteTransaction tx = ts.beginWrite()) {
            InstanceRecord r = ts.instances().get("vm1");
            ts.instances().save(tx, r.withWorking(new WorkingState(new StateId("cd".repeat(32)), Map.of(), Map.of(), 5)));
        }
    }

    @Test
    void checkoutFollowsABranchOrDetachesAtASnapshot() {
        try (Toolstack ts = Toolstack.open(f.repo)) {
            InstanceRecord r = ts.checkout(null, "main~2", false);
            assertThat(r.base()).isEqualTo(a);
            assertThat(r.detached()).isTrue();
            assertThat(ts.resolve("HEAD")).isEqualTo(a);
            r = ts.checkout("vm1", "main", false);
            assertThat(r.base()).isEqualTo(c);
            assertThat(r.branch()).isEqualTo("main");
            r = ts.checkoutNewBranch(null, "topic", "~1", false);
            assertThat(r.branch()).isEqualTo("topic");
            assertThat(ts.refs().branchHead("topic")).contains(b);
            assertThat(ts.instances().get("vm1")).isEqualTo(r);
        }
    }

    @Test
    void rollbackMovesTheBranchAndKeepsTheDroppedSnapshotInTheReflog() {
        try (Toolstack ts = Toolstack.open(f.repo)) {
            InstanceRecord r = ts.rollback(null, null, false);
            assertThat(r.base()).isEqualTo(b);
            assertThat(ts.refs().branchHead("main")).contains(b);
            ts.rollback(null, "~1", false);
            assertThat(ts.refs().branchHead("main")).contains(a);
            var log = ts.refs().reflog("main");
            assertThat(log.getFirst().message()).isEqualTo("rollback: to " + a.shortHex() + " from " + b.shortHex());
            assertThat(log.get(1).oldId()).isEqualTo(c);
        }
        f.vm("gc", "--expire", "90d").ok();
        assertThat(f.vm("log", "--oneline", c.hex()).ok().out()).contains(c.shortHex());
    }

    @Test
    void movesRefuseDirtyInstancesUnlessDiscardingAndRunningOnesAlways() {
        try (Toolstack ts = Toolstack.open(f.repo)) {
            makeDirty(ts);
            assertThatThrownBy(() -> ts.checkout(null, "main~1", false)).isInstanceOf(ToolstackException.class)
                    .hasMessage("instance vm1 has uncommitted state; commit it first, or check out with --discard to drop it")
                    .extracting(e -> ((ToolstackException) e).kind()).isEqualTo(ToolstackException.Kind.DIRTY);
            assertThatThrownBy(() -> ts.rollback(null, null, false)).hasMessageContaining("roll back with --discard");
            assertThat(ts.refs().branchHead("main")).contains(c);
            try (InstanceLock lock = ts.instances().lock("vm1")) {
                assertThatThrownBy(() -> ts.checkout(null, "main~1", true)).isInstanceOf(ToolstackException.class)
                        .extracting(e -> ((ToolstackException) e).kind()).isEqualTo(ToolstackException.Kind.LOCKED);
            }
            InstanceRecord r = ts.checkout(null, "main~1", true);
            assertThat(r.working()).isNull();
            assertThat(r.dirty()).isFalse();
        }
    }
}
