package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What `status` says (issue 12 item 19): behind its branch, with the hint naming the command that
 * fits; a powered-off guest as powered off; an instance whose disk is served over NBD as served.
 * Also the git forms of item 18 that read states: `log -N` and a bare `diff`.
 */
class StatusCommandTest {
    @TempDir
    Path dir;

    private Dom0Fixture repoWithTwoInstancesOnMain() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        var a = f.snapshot(null, "main", "a");
        f.snapshot(a, "main", "b");
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("instance", "add", "vm2", "main").ok();
        return f;
    }

    @Test
    void anInstanceBehindItsBranchSaysSoAndTheHintNamesCheckoutNotCommit() {
        Dom0Fixture f = repoWithTwoInstancesOnMain();
        f.vm("mem", "write", "0x80001000", "01").ok();
        String status = f.vm("status").ok().out();
        assertThat(status).contains("on branch main\n").contains("hint     `vmtree commit -m MSG` snapshots it on main\n");
        f.vm("commit", "-m", "from vm1").ok();
        String main = f.vm("--json", "branch").ok().out();
        status = f.vm("status", "-i", "vm2").ok().out();
        assertThat(status).containsPattern("on branch main, behind it by 1 snapshot \\(main is at [0-9a-f]{12}\\)\n")
                .contains("state    clean\n")
                .contains("hint     `vmtree checkout -i vm2 main` moves it to the branch's head\n");
        assertThat(Dom0Fixture.field(f.vm("--json", "status", "-i", "vm2").ok().out(), "behind")).isEqualTo("1");
        f.vm("mem", "write", "-i", "vm2", "0x80001000", "02").ok();
        status = f.vm("status", "-i", "vm2").ok().out();
        assertThat(status).contains("state    suspended, dirty\n").contains("hint     main has moved on, so a commit would"
                + " leave the instance detached: `vmtree checkout -i vm2 -b NAME` first keeps these changes on a new branch"
                + " (`vmtree checkout -i vm2 --discard main` drops them)\n");
        f.vm("checkout", "-i", "vm2", "-b", "vm2-work").ok();
        Dom0Fixture.Result c = f.vm("--json", "commit", "-i", "vm2", "-m", "from vm2").ok();
        assertThat(Dom0Fixture.field(c.out(), "branch")).isEqualTo("vm2-work");
        assertThat(Dom0Fixture.field(f.vm("--json", "branch").ok().out(), "head")).as("main did not move")
                .isEqualTo(Dom0Fixture.field(main, "head"));
        assertThat(f.vm("diff", "vm2-work~1", "vm2-work").ok().out()).contains("memory: 1 page");
    }

    @Test
    void aPoweredOffGuestIsPoweredOffNotSuspendedDirty() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        try {
            Dom0Fixture f = new Dom0Fixture(dir).init();
            f.vm("create", "h", "--image", "hello").ok();
            f.runWith("");
            String json = f.vm("--json", "status").ok().out();
            assertThat(Dom0Fixture.field(json, "state")).isEqualTo("powered off, dirty");
            assertThat(Dom0Fixture.field(json, "halted")).isEqualTo("powered off");
            assertThat(Dom0Fixture.field(json, "running")).isEqualTo("false");
            f.vm("commit", "-m", "said hello").ok();
            assertThat(f.vm("status").ok().out()).contains("state    powered off, clean\n");
        } finally {
            System.clearProperty("vmtree.home");
        }
    }

    @Test
    void anInstanceWhoseDiskIsServedOverNbdIsServedNotRunning() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        try {
            Dom0Fixture f = new Dom0Fixture(dir).init();
            f.vm("create", "d", "--image", "hello", "--disk-size", "1M").ok();
            Dom0Fixture.Started served = f.start("disk", "serve", "-i", "d", "--nbd", "0", "--once");
            URI url = URI.create(served.out().readLine());
            String json = f.vm("--json", "status").ok().out();
            assertThat(Dom0Fixture.field(json, "state")).matches("served over NBD \\(pid [0-9]+\\)");
            assertThat(Dom0Fixture.field(json, "served")).isEqualTo("true");
            assertThat(Dom0Fixture.field(json, "running")).isEqualTo("false");
            assertThat(f.vm("instance", "list").ok().out()).contains("served over NBD");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(url.getHost(), url.getPort()));
            }
            served.done().get(60, TimeUnit.SECONDS).ok();
            assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "state")).isEqualTo("clean");
        } finally {
            System.clearProperty("vmtree.home");
        }
    }

    @Test
    void logDashNIsLogDashNN() {
        Dom0Fixture f = repoWithTwoInstancesOnMain();
        assertThat(f.vm("log", "-1", "--oneline").ok().out()).hasLineCount(1)
                .isEqualTo(f.vm("log", "-n", "1", "--oneline").ok().out());
        assertThat(f.vm("log", "--oneline", "-2", "main").ok().out()).hasLineCount(2);
    }

    @Test
    void bareDiffComparesTheWorkingStateWithHead() {
        Dom0Fixture f = repoWithTwoInstancesOnMain();
        assertThat(f.vm("diff").ok().out()).isEqualTo(f.vm("diff", "HEAD").ok().out());
        f.vm("mem", "write", "-i", "vm2", "0x80001000", "02").ok();
        String diff = f.vm("diff", "-i", "vm2").ok().out();
        assertThat(diff).contains("memory: 1 page of 4 KiB differ").contains("0x80001000-0x80001fff");
        assertThat(f.vm("--json", "diff", "-i", "vm2").ok().out()).startsWith("{\"from\":{\"ref\":\"HEAD\"");
        assertThat(Files.exists(dir)).isTrue();
    }
}
