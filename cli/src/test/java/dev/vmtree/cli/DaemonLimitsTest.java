package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.dom0.service.Dom0Daemon;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits and the audit log across the daemon and a foreground run: an instance the daemon runs
 * counts against `vmtree run` in another process and the other way round, and both record in one log.
 */
class DaemonLimitsTest {
    @TempDir
    Path tmp;
    Dom0Fixture f;

    @AfterEach
    void killDaemon() {
        f.killDaemon();
    }

    @Test
    void anInstanceTheDaemonRunsCountsAgainstEveryStartAndAllIsInTheAuditLog() {
        f = new Dom0Fixture(tmp).init();
        Path guests = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin");
        f.vm("create", "kv", "--kernel", guests.resolve("kvshell.elf").toString(), "--memory", "16M").ok();
        f.vm("instance", "add", "kv2", "kv").ok();
        f.vm("config", "dom0.maxInstances", "1").ok();

        f.vm("start", "-i", "kv").ok();
        long daemon = Dom0Daemon.pidOf(f.repo);
        String refused = "vmtree: cannot start kv2: 1 instance runs (kv) and dom0.maxInstances is 1 (stop one, or"
                + " raise it with `vmtree config dom0.maxInstances N`)";
        Dom0Fixture.Result background = f.vm("start", "-i", "kv2");
        assertThat(background.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(background.err()).startsWith(refused);
        Dom0Fixture.Result foreground = f.vm("run", "-i", "kv2", "--max-instructions", "0");
        assertThat(foreground.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(foreground.err()).isEqualTo(refused + "\n");
        f.vm("stop", "-i", "kv").ok();

        f.vm("config", "--unset", "dom0.maxInstances").ok();
        f.vm("config", "dom0.maxMemory", "24M").ok();
        f.vm("start", "-i", "kv2").ok();
        assertThat(f.vm("run", "-i", "kv", "--max-instructions", "0").err()).startsWith("vmtree: cannot start kv with"
                + " 16M of RAM: running instances have 16M (kv2) and dom0.maxMemory is 24M");
        f.vm("stop", "-i", "kv2").ok();

        List<AuditLog.Entry> log;
        try (Toolstack ts = Toolstack.open(f.repo)) {
            log = ts.policy().log().read(e -> e.op().equals("start") || e.op().equals("stop"), 100).entries();
        }
        long me = ProcessHandle.current().pid();
        assertThat(log).extracting(e -> e.op() + " " + e.instance() + " " + e.outcome().word() + " "
                + (e.pid() == me ? "here" : e.pid() == daemon ? "daemon" : e.pid()))
                .containsExactly("start kv ok daemon", "start kv2 refused daemon", "start kv2 refused here",
                        "stop kv ok daemon", "start kv2 ok daemon", "start kv refused here", "stop kv2 ok daemon");
    }
}
