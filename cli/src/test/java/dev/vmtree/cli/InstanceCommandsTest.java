package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.ChunkId;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instance records: add, list, remove, the current pointer, locks, and gc keeping working states. */
class InstanceCommandsTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    SnapshotId base;

    @BeforeEach
    void repo() {
        f = new Dom0Fixture(dir).init();
        base = f.snapshot(null, "main", "root");
    }

    /** Saves a working state whose image is real data in the store, as a suspend will. */
    private WorkingState suspend(String name, byte fill) {
        try (Toolstack ts = Toolstack.open(f.repo); WriteTransaction tx = ts.beginWrite()) {
            PageTreeRoot ram = tx.buildTree(64 * 4096, 4096, i -> {
                byte[] p = new byte[4096];
                java.util.Arrays.fill(p, (byte) (fill + i));
                return p;
            });
            byte[] harts = ("pc=0x80000000 fill=" + fill).getBytes();
            ChunkId file = tx.chunks().put(harts);
            WorkingState w = new WorkingState(new StateId("ab".repeat(32)), Map.of("ram", ram), Map.of("harts", file), 1234);
            InstanceRecord r = ts.instances().get(name);
            ts.instances().save(tx, r.withWorking(w));
            return w;
        }
    }

    @Test
    void aSnapshotWithoutAMachineIsRefusedUpFrontAndNothingMoves() throws Exception {
        Path data = Files.write(dir.resolve("data.img"), new byte[8192]);
        f.vm("store", "put", data.toString(), "--branch", "data").ok();
        f.vm("instance", "add", "vm1", "main").ok();
        String before = f.vm("--json", "branch").ok().out();
        record Case(String... args) {}
        for (Case c : java.util.List.of(new Case("instance", "add", "d", "data"), new Case("checkout", "data"),
                new Case("checkout", "-b", "nb", "data"), new Case("rollback", "data"))) {
            Dom0Fixture.Result r = f.vm(c.args());
            assertThat(r.exit()).as(String.join(" ", c.args())).isEqualTo(ExitCodes.FAILURE);
            assertThat(r.err()).as(String.join(" ", c.args())).matches("vmtree: data \\([0-9a-f]{12}\\) holds no machine"
                    + " \\(it was made by `vmtree store put`\\); give a snapshot made by `vmtree create` or `vmtree"
                    + " commit`\n");
        }
        assertThat(f.vm("instance", "list").ok().out()).doesNotContain(" d ");
        assertThat(f.vm("--json", "branch").ok().out()).isEqualTo(before);
        assertThat(f.vm("--json", "status").ok().out()).contains("\"branch\":\"main\"");
        f.vm("fsck").ok();
    }

    @Test
    void addOnABranchFollowsItAndOnASnapshotIsDetached() {
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("instance", "add", "vm2", base.hex().substring(0, 10)).ok();
        f.vm("instance", "add", "vm3", "main", "--detach").ok();
        String list = f.vm("instance", "list").ok().out();
        assertThat(list).contains("* vm1").contains("main").contains("  vm2").contains("(detached)");
        // an added instance knows its base's StateId, so status can tell clean from dirty at once
        assertThat(f.vm("--json", "instance", "list").ok().out()).matches("\\[\\{\"name\":\"vm1\",\"current\":true,"
                + "\"branch\":\"main\",\"base\":\"" + base.hex() + "\",\"state\":\"[0-9a-f]{64}\",\"dirty\":false,"
                + "\"runningPid\":-1}.*\\]\n");
        assertThat(f.vm("instance", "add", "vm1", "main").exit()).isEqualTo(1);
        assertThat(f.vm("instance", "add", "-bad", "main").exit()).isEqualTo(2);
        f.vm("instance", "use", "vm2").ok();
        assertThat(f.vm("instance", "list").ok().out()).contains("* vm2");
    }

    @Test
    void recordFileIsTheDocumentedFormatAndRegistersAGcRoot() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        String text = Files.readString(f.repo.resolve(".vmtree/instances/vm1"));
        assertThat(text).startsWith("vmtree-instance 1\nname vm1\ncreated ").contains("\nbase " + base.hex() + "\n")
                .contains("\nbranch main\n").containsPattern("\ncrc32c [0-9a-f]{8}\n$");
        assertThat(Files.readString(f.repo.resolve(".vmtree/roots"))).contains("instance/vm1 snapshot " + base.hex());
        assertThat(Files.readString(f.repo.resolve(".vmtree/CURRENT"))).isEqualTo("vm1\n");
    }

    @Test
    void gcNeverDropsAWorkingState() {
        f.vm("instance", "add", "vm1", "main").ok();
        WorkingState w = suspend("vm1", (byte) 7);
        f.vm("gc", "--expire", "0").ok();
        assertThat(f.vm("fsck").ok().out()).contains("ok");
        try (Toolstack ts = Toolstack.open(f.repo)) {
            InstanceRecord r = ts.instances().get("vm1");
            assertThat(r.working()).isEqualTo(w);
            assertThat(r.dirty()).isTrue();
            byte[] page = ts.repository().pageTree(r.working().images().get("ram")).page(3);
            assertThat(page[0]).isEqualTo((byte) 10);
            assertThat(new String(ts.repository().chunks().read(r.working().files().get("harts"))))
                    .isEqualTo("pc=0x80000000 fill=7");
        }
    }

    @Test
    void removeRefusesADirtyInstanceUnlessForced() {
        f.vm("instance", "add", "vm1", "main").ok();
        suspend("vm1", (byte) 1);
        assertThat(f.vm("instance", "list").ok().out()).contains("dirty");
        Dom0Fixture.Result r = f.vm("instance", "remove", "vm1");
        assertThat(r.exit()).isEqualTo(ExitCodes.DIRTY);
        assertThat(r.err()).isEqualTo("vmtree: instance vm1 has uncommitted state; commit it, or remove with --force"
                + " to drop it\n");
        f.vm("instance", "remove", "--force", "vm1").ok();
        assertThat(f.vm("instance", "list").ok().out()).isEmpty();
        assertThat(f.repo.resolve(".vmtree/CURRENT")).doesNotExist();
        f.vm("gc", "--expire", "0").ok();
        assertThat(f.vm("fsck").ok().out()).contains("ok");
    }

    @Test
    void aLockedInstanceNamesTheProcessHoldingIt() {
        f.vm("instance", "add", "vm1", "main").ok();
        long me = ProcessHandle.current().pid();
        try (Toolstack ts = Toolstack.open(f.repo); InstanceLock lock = ts.instances().lock("vm1")) {
            Dom0Fixture.Result r = f.vm("instance", "remove", "--force", "vm1");
            assertThat(r.exit()).isEqualTo(ExitCodes.LOCKED);
            assertThat(r.err()).isEqualTo("vmtree: instance vm1 is running in process " + me
                    + "; stop it there (detach or `kill " + me + "`) first\n");
            assertThat(f.vm("instance", "list").ok().out()).contains("running (pid " + me + ")");
            assertThat(Files.exists(lock.file())).isTrue();
        }
        assertThat(f.vm("instance", "list").ok().out()).doesNotContain("running");
        f.vm("instance", "remove", "vm1").ok();
    }

    @Test
    void aLockLeftByADeadProcessIsStaleAndTakenOver() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Path lockFile = f.repo.resolve(".vmtree/instances/vm1.lock");
        Files.writeString(lockFile, p.pid() + "\n");
        assertThat(InstanceLock.probe(lockFile)).isEqualTo(new InstanceLock.Holder.Stale(p.pid()));
        assertThat(f.vm("instance", "list").ok().out()).contains("stale lock of dead pid " + p.pid());
        try (InstanceLock l = InstanceLock.acquire(lockFile, "vm1")) {
            assertThat(Files.readString(lockFile)).isEqualTo(ProcessHandle.current().pid() + "\nrun\n"); // pid, activity
        }
        assertThat(InstanceLock.probe(lockFile)).isEqualTo(new InstanceLock.Holder.Free());
    }

    @Test
    void aDamagedRecordIsReportedNotIgnored() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        Path rec = f.repo.resolve(".vmtree/instances/vm1");
        Files.writeString(rec, Files.readString(rec).replace("branch main", "branch mainx"));
        Dom0Fixture.Result r = f.vm("instance", "list");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: damaged instance record " + rec + ": checksum mismatch");
    }

    @Test
    void noRepositoryIsAOneLineErrorSayingWhatToDo() {
        Path empty = dir.resolve("nothing");
        Dom0Fixture.Result r = Dom0Fixture.run("-C", empty.toString(), "instance", "list");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).isEqualTo("vmtree: not a vmtree repository (or any parent): " + empty
                + "; run `vmtree init`\n");
        assertThat(Dom0Fixture.run("-C", empty.toString(), "fsck").err()).isEqualTo(r.err());
    }

    @Test
    void aCorruptRepositoryIsAOneLineErrorWithStatus4() throws Exception {
        Files.delete(f.repo.resolve(".vmtree/meta.git/HEAD"));
        Dom0Fixture.Result r = f.vm("branch");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: damaged repository: ").contains("meta.git").hasLineCount(1);
        Files.writeString(f.repo.resolve(".vmtree/FORMAT"), "vmtree-store 99\n");
        r = f.vm("log");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: repository format 99 is newer than this vmtree reads").hasLineCount(1);
    }

    @Test
    void fsckChecksEveryRecordAgainstItsGcRoot() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("instance", "add", "vm2", "main").ok();
        suspend("vm2", (byte) 3);
        assertThat(f.vm("fsck").ok().out()).contains("2 instances: ok");
        Path roots = f.repo.resolve(".vmtree/roots");
        String saved = Files.readString(roots);
        try (var repo = dev.vmtree.store.Repository.open(f.repo); WriteTransaction tx = repo.beginWrite()) {
            tx.unregisterRoot("instance/vm2");
        }
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: instance vm2: no gc root registered");
        Files.writeString(roots, saved);
        Files.delete(f.repo.resolve(".vmtree/instances/vm1"));
        r = f.vm("fsck").ok();
        assertThat(r.err()).contains("warning: root instance/vm1 has no instance record");
        assertThat(f.vm("--json", "fsck").ok().out()).contains("\"instances\":[{\"problem\":\"root instance/vm1")
                .contains("\"harmless\":true");
    }
}
