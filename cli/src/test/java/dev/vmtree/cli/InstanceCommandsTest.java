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
                + "\"runningPid\":-1,\"migratedTo\":null}.*\\]\n");
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

    /** A short command holding the instance is waited out, not killed: the refusal says which and what to do. */
    @Test
    void anInstanceHeldByAShortCommandIsBusyNotRunning() {
        f.vm("instance", "add", "vm1", "main").ok();
        long me = ProcessHandle.current().pid();
        try (Toolstack ts = Toolstack.open(f.repo); var held = ts.session("vm1", "commit")) {
            Dom0Fixture.Result r = f.vm("mem", "write", "0x80001000", "00");
            assertThat(r.exit()).isEqualTo(ExitCodes.LOCKED);
            assertThat(r.err()).isEqualTo("vmtree: instance vm1 is busy in process " + me
                    + " (commit); run the command again when that is done\n");
        }
        f.vm("mem", "write", "0x80001000", "00").ok();
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

    /** Flips one bit of the record's "base" line, as a bad disk sector or a stray write would. */
    private Path flipAByteOf(String name) throws Exception {
        Path rec = f.repo.resolve(".vmtree/instances/" + name);
        byte[] b = Files.readAllBytes(rec);
        int at = new String(b, java.nio.charset.StandardCharsets.UTF_8).indexOf("\nbase ") + 12;
        b[at] ^= 0x01;
        Files.write(rec, b);
        return rec;
    }

    @Test
    void aDamagedRecordLeavesReadOnlyCommandsWorkingAndEachSaysHowToRepairIt() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("instance", "add", "vm2", "main").ok();
        Path rec = flipAByteOf("vm1");
        String repair = "; repair it with `vmtree instance repair vm1` (or drop it: `vmtree instance remove --force vm1`)";
        String damaged = "damaged instance record " + rec + ": checksum mismatch" + repair;

        Dom0Fixture.Result list = f.vm("instance", "list").ok();
        assertThat(list.out()).contains("* vm1              damaged record (checksum mismatch): `vmtree instance repair vm1`")
                .contains("  vm2 ").hasLineCount(2);
        assertThat(f.vm("--json", "instance", "list").ok().out())
                .startsWith("[{\"name\":\"vm1\",\"current\":true,\"damaged\":\"checksum mismatch\"},{\"name\":\"vm2\"");

        // status reports the damage as the instance's state; what needs the record (run, commit, ...) fails with it
        assertThat(f.vm("status").ok().out()).isEqualTo("instance vm1 (current)\nstate    " + damaged + "\n");
        assertThat(f.vm("--json", "status").ok().out().trim())
                .isEqualTo("{\"instance\":\"vm1\",\"current\":true,\"damaged\":\"checksum mismatch\"}");
        f.vm("status", "-i", "vm2").ok();
        Dom0Fixture.Result commit = f.vm("commit", "-m", "x");
        assertThat(commit.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(commit.err()).isEqualTo("vmtree: " + damaged + "\n");

        String warning = "vmtree: warning: instance vm1 left out: " + damaged + "\n";
        Dom0Fixture.Result log = f.vm("log", "--oneline").ok();
        assertThat(log.out()).contains(base.shortHex());
        assertThat(log.err()).isEqualTo(warning);
        Dom0Fixture.Result branch = f.vm("branch").ok();
        assertThat(branch.out()).contains("main").contains("[vm2]");
        assertThat(branch.err()).isEqualTo(warning);
        f.vm("show", "main").ok();
        f.vm("du").ok();
        // what moves refs across instances waits for the repair: the damaged record might name that branch
        f.vm("branch", "other", "main").ok();
        Dom0Fixture.Result delete = f.vm("branch", "-d", "other");
        assertThat(delete.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(delete.err()).isEqualTo("vmtree: " + damaged + "\n");

        Dom0Fixture.Result fsck = f.vm("fsck");
        assertThat(fsck.exit()).isEqualTo(1);
        assertThat(fsck.err()).isEqualTo("damaged: instance vm1: " + damaged + "\n");
    }

    @Test
    void removeForceDropsADamagedRecordAndPlainRemoveSaysWhy() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("instance", "add", "vm2", "main").ok();
        flipAByteOf("vm1");
        Dom0Fixture.Result plain = f.vm("instance", "remove", "vm1");
        assertThat(plain.exit()).isEqualTo(ExitCodes.DIRTY);
        assertThat(plain.err()).isEqualTo("vmtree: instance vm1 has a damaged record (checksum mismatch), so what it held"
                + " cannot be told; remove it with --force, or repair it with `vmtree instance repair vm1`\n");
        f.vm("instance", "remove", "--force", "vm1").ok();
        assertThat(f.vm("instance", "list").ok().out()).doesNotContain("vm1");
        assertThat(Files.exists(f.repo.resolve(".vmtree/instances/vm1"))).isFalse();
        Dom0Fixture.Result fsck = f.vm("fsck").ok();
        assertThat(fsck.err()).isEmpty();
    }

    @Test
    void repairPutsADamagedRecordBackWhereItsGcRootSaysItStood() throws Exception {
        SnapshotId second = f.snapshot(base, "main", "second");
        f.vm("instance", "add", "vm1", "main~1").ok();   // detached at base
        f.vm("instance", "add", "vm2", "main").ok();
        f.vm("branch", "side", "main~1").ok();
        f.vm("checkout", "-i", "vm1", "side").ok();
        flipAByteOf("vm1");

        Dom0Fixture.Result r = f.vm("instance", "repair", "vm1").ok();
        assertThat(r.out()).isEqualTo("repaired instance vm1: at " + base.shortHex() + " on branch side\n");
        assertThat(f.vm("--json", "status", "-i", "vm1").ok().out()).contains("\"branch\":\"side\"")
                .contains("\"head\":\"" + base.hex() + "\"").contains("\"dirty\":false");
        assertThat(f.vm("fsck").ok().err()).isEmpty();

        Dom0Fixture.Result sound = f.vm("instance", "repair", "vm2");
        assertThat(sound.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(sound.err()).isEqualTo("vmtree: instance vm2 is not damaged; point it elsewhere with"
                + " `vmtree checkout -i vm2 REF`\n");

        // a branch line that is itself damaged (it names no branch that reaches the base) leaves the instance detached
        Path rec = f.repo.resolve(".vmtree/instances/vm2");
        Files.writeString(rec, Files.readString(rec).replace("branch main", "branch mainx"));
        assertThat(f.vm("instance", "repair", "vm2").ok().out())
                .isEqualTo("repaired instance vm2: at " + second.shortHex() + " (detached)\n");

        // with no gc root to say where it stood, a damaged base line is no guide: REF must be given
        flipAByteOf("vm2");
        try (var repo = dev.vmtree.store.Repository.open(f.repo); WriteTransaction tx = repo.beginWrite()) {
            assertThat(tx.unregisterRoot("instance/vm2")).isTrue();
        }
        Dom0Fixture.Result lost = f.vm("instance", "repair", "vm2");
        assertThat(lost.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(lost.err()).isEqualTo("vmtree: cannot tell which snapshot instance vm2 stood on; repair it with"
                + " --to REF\n");
        assertThat(f.vm("--json", "instance", "repair", "vm2", "--to", "main").ok().out().trim())
                .isEqualTo("{\"instance\":\"vm2\",\"snapshot\":\"" + second.hex() + "\",\"branch\":\"main\","
                        + "\"state\":\"" + Dom0Fixture.field(f.vm("--json", "status", "-i", "vm2").ok().out(), "headState")
                        + "\"}");
        f.vm("fsck").ok();
    }

    @Test
    void repairDropsUncommittedStateOnlyWithDiscard() throws Exception {
        f.vm("instance", "add", "vm1", "main").ok();
        WorkingState w = suspend("vm1", (byte) 5);
        flipAByteOf("vm1");
        Dom0Fixture.Result r = f.vm("instance", "repair", "vm1");
        assertThat(r.exit()).isEqualTo(ExitCodes.DIRTY);
        assertThat(r.err()).isEqualTo("vmtree: instance vm1 had a working state (maybe uncommitted) that its damaged"
                + " record (checksum mismatch) cannot give back; repair it with --discard to drop that state (its pages"
                + " stay in the store until the next gc)\n");
        try (var repo = dev.vmtree.store.Repository.open(f.repo)) {
            assertThat(repo.chunks().contains(w.images().get("ram").root())).as("nothing dropped yet").isTrue();
        }
        f.vm("instance", "repair", "--discard", "vm1").ok();
        assertThat(f.vm("--json", "status").ok().out()).contains("\"dirty\":false").contains("\"branch\":\"main\"");
        f.vm("fsck").ok();
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
