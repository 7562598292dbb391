package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.remote.SshConnection;
import dev.vmtree.dom0.remote.TestSshServer;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, remotes over SSH from the commands: a machine pushed to an ssh:// URL of an in-process
 * SSH server on 127.0.0.1 (dom0's TestSshServer, the client set up through vmtree.ssh.dir) clones
 * back into a working machine.
 */
class SshRemoteCommandsTest {
    @TempDir
    static Path dir;

    static TestSshServer server;
    static Dom0Fixture sender;

    @BeforeAll
    static void setUp() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        server = TestSshServer.start(dir.resolve("server"));
        server.writeClientSetup(dir.resolve("ssh"));
        System.setProperty(SshConnection.DIR_PROPERTY, dir.resolve("ssh").toString());
        sender = new Dom0Fixture(dir.resolve("sender")).init();
        sender.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        sender.runWith("set a 5\nset b 7\n");
        sender.vm("commit", "-m", "two keys").ok();
        sender.vm("tag", "golden", "kv").ok();
    }

    @AfterAll
    static void tearDown() throws Exception {
        System.clearProperty(SshConnection.DIR_PROPERTY);
        System.clearProperty("vmtree.home");
        server.close();
    }

    private static Map<String, SnapshotId> refs(Path repo) {
        try (Repository r = Repository.open(repo)) {
            return r.refs();
        }
    }

    @Test
    void aMachinePushedOverSshClonesBackIntoAWorkingMachine() throws Exception {
        String url = server.url("images/kv");
        assertThat(sender.vm("push", url, "kv", "golden").ok().out()).contains("[new]").contains("kv -> kv");
        assertThat(server.root().resolve("images/kv/FORMAT")).exists();

        Dom0Fixture c = new Dom0Fixture(dir.resolve("clone"));
        Dom0Fixture.run("clone", url, c.repo.toString()).ok();
        SnapshotId kv = refs(sender.repo).get("refs/heads/kv");
        assertThat(refs(c.repo)).containsEntry("refs/heads/kv", kv).containsEntry("refs/remotes/origin/kv", kv)
                .containsKey("refs/tags/golden");
        assertThat(c.vm("remote", "list").ok().out()).contains("origin\t" + url);
        c.vm("fsck").ok();
        assertThat(c.vm("replay", "kv", "--verify").ok().out()).contains("identical");
        Path in = c.dir.resolve("in.txt");
        Files.writeString(in, "get b\n");
        assertThat(c.vm("run", "--input", in.toString()).ok().out()).contains("7");
    }

    @Test
    void anUnknownHostIsRefusedWithOneLine() throws Exception {
        Path other = dir.resolve("ssh-empty");
        Files.createDirectories(other);
        System.setProperty(SshConnection.DIR_PROPERTY, other.toString());
        try {
            Dom0Fixture.Result r = Dom0Fixture.run("clone", server.url("images/none"), dir.resolve("nope").toString());
            assertThat(r.exit()).isNotZero();
            assertThat(r.err().strip()).contains("host key of [127.0.0.1]:" + server.port()).doesNotContain("\n")
                    .doesNotContain("Exception");
            assertThat(dir.resolve("nope")).doesNotExist();
        } finally {
            System.setProperty(SshConnection.DIR_PROPERTY, dir.resolve("ssh").toString());
        }
    }
}
