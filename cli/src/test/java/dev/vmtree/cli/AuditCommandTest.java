package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.dom0.policy.Limits;
import dev.vmtree.store.SnapshotId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 5 as far as it reaches today's commands: lifecycle operations in the audit log and
 * `vmtree audit`, the limits a `vmtree run` is admitted by, and the configuration keys that set them.
 */
class AuditCommandTest {
    static final String ADDRESS = "0x80001000";

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

    private List<AuditLog.Entry> entries() {
        try (Toolstack ts = Toolstack.open(f.repo)) {
            AuditLog.Reading r = ts.policy().log().read();
            assertThat(r.damaged()).isEmpty();
            return r.entries();
        }
    }

    @Test
    void commitCheckoutAndRollbackAreRecordedAndShownOldestFirst() {
        f.vm("mem", "write", ADDRESS, "68656c6c6f").ok();
        String snapshot = Dom0Fixture.field(f.vm("--json", "commit", "-m", "hello\nbody").ok().out(), "snapshot");
        f.vm("rollback").ok();
        f.vm("checkout", a.hex()).ok();
        f.vm("mem", "write", ADDRESS, "ff").ok();
        assertThat(f.vm("checkout", "main").exit()).isEqualTo(ExitCodes.DIRTY);

        List<AuditLog.Entry> log = entries();
        assertThat(log).extracting(AuditLog.Entry::op)
                .containsExactly("add", "commit", "rollback", "checkout", "checkout");
        assertThat(log).extracting(e -> e.outcome().word()).containsExactly("ok", "ok", "ok", "ok", "refused");
        assertThat(log).allSatisfy(e -> {
            assertThat(e.instance()).isEqualTo("vm1");
            assertThat(e.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(e.user()).isEqualTo(System.getProperty("user.name"));
        });
        assertThat(log.get(1).detail()).isEqualTo(snapshot.substring(0, 12) + " (branch main): hello");
        assertThat(log.get(2).detail()).isEqualTo("~1: " + b.shortHex() + " (branch main)");
        assertThat(log.get(3).detail()).isEqualTo(a.hex() + ": " + a.shortHex() + " (detached)");
        assertThat(log.get(4).detail()).contains("uncommitted state");

        String text = f.vm("audit").ok().out();
        assertThat(text.lines()).hasSize(5);
        assertThat(text.lines().toList().get(1)).matches("20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z commit   vm1"
                + " {10}ok      pid \\d+ +" + snapshot.substring(0, 12) + " \\(branch main\\): hello");
        assertThat(f.vm("audit", "-n", "2").ok().out().lines().map(l -> l.split(" +")[1]).toList())
                .containsExactly("checkout", "checkout");
        String json = f.vm("--json", "audit", "-n", "1").ok().out().trim();
        assertThat(json).startsWith("[{\"time\":\"").contains(",\"pid\":" + ProcessHandle.current().pid() + ",\"user\":")
                .contains(",\"op\":\"checkout\",\"instance\":\"vm1\",\"outcome\":\"refused\",\"detail\":\"instance vm1 has"
                        + " uncommitted state").endsWith("\"}]");
    }

    @Test
    void auditDashIShowsOneInstanceAndAddRemoveAreRecorded() {
        f.vm("instance", "add", "vm2", a.hex()).ok();
        f.vm("instance", "remove", "vm2").ok();
        String vm2 = f.vm("audit", "-i", "vm2").ok().out();
        assertThat(vm2.lines().map(l -> l.split(" +")[1] + " " + l.split(" +")[2]).toList())
                .containsExactly("add vm2", "remove vm2");
        assertThat(vm2).contains(a.hex() + ": " + a.shortHex() + " (detached)").contains("was at " + a.shortHex());
        assertThat(f.vm("audit", "-i", "nobody").ok().out()).isEmpty();
        assertThat(f.vm("audit", "-n", "-1").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void anAuditLogThatCannotBeWrittenWarnsAndTheCommitStillHappens() throws Exception {
        Files.delete(f.repo.resolve(".vmtree/audit.log"));
        Files.createDirectory(f.repo.resolve(".vmtree/audit.log"));
        f.vm("mem", "write", ADDRESS, "68656c6c6f").ok();
        Dom0Fixture.Result commit = f.vm("commit", "-m", "kept").ok();
        assertThat(commit.err()).startsWith("vmtree: warning: cannot write audit log " + f.repo.resolve(".vmtree/audit.log")
                .toAbsolutePath()).endsWith("(commit of vm1 not recorded; what it did stands)\n");
        assertThat(f.vm("log", "--oneline", "-n", "1").ok().out()).contains("kept");
        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "dirty")).isEqualTo("false");
        Dom0Fixture.Result audit = f.vm("audit");
        assertThat(audit.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(audit.err()).startsWith("vmtree: cannot read audit log ");
    }

    @Test
    void aRunBeyondALimitIsRefusedBeforeAnythingRunsAndRecorded() {
        f.vm("instance", "add", "vm2", "main").ok();
        f.vm("config", "dom0.maxInstances", "1").ok();
        try (Toolstack ts = Toolstack.open(f.repo); InstanceLock running = ts.instances().lock("vm1")) {
            Dom0Fixture.Result r = f.vm("run", "-i", "vm2", "--max-instructions", "0");
            assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).isEqualTo("vmtree: cannot start vm2: 1 instance runs (vm1) and dom0.maxInstances is 1"
                    + " (stop one, or raise it with `vmtree config dom0.maxInstances N`)\n");
            assertThat(ts.policy().runningInstances()).isEqualTo(List.of(new Limits.Instance("vm1", 4 << 20)));

            f.vm("config", "--unset", "dom0.maxInstances").ok();
            f.vm("config", "dom0.maxMemory", "6M").ok();
            assertThat(f.vm("run", "-i", "vm2", "--max-instructions", "0").err())
                    .isEqualTo("vmtree: cannot start vm2 with 4M of RAM: running instances have 4M (vm1) and"
                            + " dom0.maxMemory is 6M (stop one, or raise it with `vmtree config dom0.maxMemory SIZE`)\n");
        }
        assertThat(f.vm("run", "-i", "vm2", "--max-instructions", "0").exit())   // vm1 stopped: 4M fits in 6M
                .isEqualTo(ExitCodes.BUDGET);
        List<AuditLog.Entry> log = entries().stream().filter(e -> "vm2".equals(e.instance())).toList();
        assertThat(log).extracting(e -> e.op() + " " + e.outcome().word())
                .containsExactly("add ok", "start refused", "start refused", "start ok", "stop ok");
        assertThat(log.get(1).detail()).startsWith("cannot start vm2: 1 instance runs");
        assertThat(log.get(4).detail()).startsWith("suspended vm2 after 0 instructions (the instruction budget ran out)");
    }

    @Test
    void limitSettingsRefuseBadValuesWithOneLineAndAreReadThroughTheToolstack() throws Exception {
        for (String[] bad : List.of(new String[] {"dom0.maxInstances", "0", "vmtree: dom0.maxInstances must be a whole"
                + " number from 1 (unset it for no limit): 0"}, new String[] {"dom0.maxInstances", "many", "vmtree:"
                + " dom0.maxInstances must be a whole number from 1 (unset it for no limit): many"}, new String[] {
                "dom0.maxMemory", "4K", "vmtree: dom0.maxMemory must be a size of at least 128K, the smallest machine"
                + " (unset it for no limit): 4K"}, new String[] {"dom0.maxMemory", "12X", "vmtree: dom0.maxMemory: bad"
                + " size '12X' (use a number of bytes with an optional K, M, G or T suffix, e.g. 256M)"})) {
            Dom0Fixture.Result r = f.vm("config", bad[0], bad[1]);
            assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err().lines().toList()).containsExactly(bad[2],
                    "usage: vmtree config [OPTIONS] [KEY] [VALUE] (see `vmtree config --help`)");
        }
        try (Toolstack ts = Toolstack.open(f.repo)) {
            assertThat(ts.settings().limits()).isEqualTo(Limits.NONE);
        }
        f.vm("config", "dom0.maxInstances", "3").ok();
        f.vm("config", "--global", "dom0.maxMemory", "8G").ok();
        try (Toolstack ts = Toolstack.open(f.repo)) {
            assertThat(ts.settings().limits()).isEqualTo(new Limits(3, 8L << 30));
        }
        Files.writeString(f.repo.resolve(".vmtree/config"), "[dom0]\n\tmaxInstances = -2\n");
        try (Toolstack ts = Toolstack.open(f.repo)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ts.settings().limits())
                    .isInstanceOf(ToolstackException.class)
                    .hasMessage("configuration dom0.maxInstances must be a whole number from 1 (unset it for no limit): -2;"
                            + " fix it with `vmtree config dom0.maxInstances VALUE`");
        }
        assertThat(f.vm("fsck").out() + f.vm("fsck").err()).contains("configuration dom0.maxInstances = '-2' is refused");
    }
}
