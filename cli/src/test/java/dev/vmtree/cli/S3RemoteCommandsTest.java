package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.remote.TestS3Server;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, S3 remotes from the command line, against S3Proxy in its own process: `remote add
 * --endpoint`, push of a real machine and its tag, `clone s3://... --endpoint` that replays
 * bit for bit, pull of an update moving only its new chunks, and the endpoint refused beside a URL
 * that is not s3://. Credentials come as the AWS SDK's system properties (aws.accessKeyId, ...),
 * as they would from AWS_ACCESS_KEY_ID for a user.
 */
@Tag("engines")
class S3RemoteCommandsTest {
    @TempDir
    static Path dir;

    static Dom0Fixture sender;
    static TestS3Server server;

    @BeforeAll
    static void machine() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        server = TestS3Server.start(dir.resolve("s3"));
        server.systemProperties().forEach(System::setProperty);
        server.createBucket("golden");
        sender = new Dom0Fixture(dir.resolve("sender")).init();
        sender.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        sender.runWith("set a 5\nset b 7\n");
        RemoteCommandsTest.scribble(sender, 0x80400000L, 256);
        sender.vm("commit", "-m", "two keys").ok();
        sender.vm("tag", "golden", "kv").ok();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.systemProperties().keySet().forEach(System::clearProperty);
            server.close();
        }
        System.clearProperty("vmtree.home");
    }

    private static Map<String, SnapshotId> refs(Path repo) {
        try (Repository r = Repository.open(repo)) {
            return r.refs();
        }
    }

    @Test
    void pushCloneAndPullThroughAnS3Bucket() throws Exception {
        String ep = server.endpoint().toString();
        sender.vm("remote", "add", "fleet", "s3://golden/linux", "--endpoint", ep).ok();
        assertThat(sender.vm("remote", "list").ok().out()).contains("fleet\ts3://golden/linux");
        Dom0Fixture.Result push = sender.vm("push", "fleet", "kv", "golden");
        assertThat(push.exit()).as("%s%s", push.out(), push.err()).isZero();
        String pushed = push.out();
        assertThat(pushed).contains("[new]").contains("kv -> kv").contains("golden -> golden");

        Dom0Fixture c = new Dom0Fixture(dir.resolve("clone"));
        String cloned = Dom0Fixture.run("clone", "s3://golden/linux", c.repo.toString(), "--endpoint", ep).ok().out();
        assertThat(cloned).contains("cloned s3://golden/linux");
        assertThat(refs(c.repo)).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"))
                .containsEntry("refs/tags/golden", refs(sender.repo).get("refs/tags/golden"));
        c.vm("fsck").ok();
        assertThat(c.vm("replay", "kv", "--verify").ok().out()).contains("identical");

        RemoteCommandsTest.scribble(sender, 0x80600000L, 40);
        sender.vm("commit", "-m", "1% update").ok();
        String up = sender.vm("--json", "push", "fleet", "kv").ok().out();
        long chunks = Long.parseLong(Dom0Fixture.field(up, "chunks"));
        assertThat(chunks).isBetween(40L, 100L);
        String pulled = c.vm("--json", "pull", "origin").ok().out();
        assertThat(Long.parseLong(Dom0Fixture.field(pulled, "chunks"))).isEqualTo(chunks);
        assertThat(refs(c.repo)).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"));
        c.vm("fsck").ok();
        assertThat(c.vm("pull", "origin").ok().out()).contains("already up to date");
    }

    @Test
    void aLazyCloneFromABucketFaultsInWhatItsRunTouchesAndThenCompletes() throws Exception {
        String ep = server.endpoint().toString();
        server.createBucket("lazy");
        sender.vm("remote", "add", "lazyfleet", "s3://lazy/img", "--endpoint", ep).ok();
        sender.vm("push", "lazyfleet", "kv").ok();
        Dom0Fixture full = new Dom0Fixture(dir.resolve("full"));
        Dom0Fixture.run("clone", "s3://lazy/img", full.repo.toString(), "--endpoint", ep).ok();
        Dom0Fixture lazy = new Dom0Fixture(dir.resolve("lazy"));
        Dom0Fixture.run("clone", "--lazy", "s3://lazy/img", lazy.repo.toString(), "--endpoint", ep).ok();
        LazyCloneCommandsTest.sameGeneration(full, lazy, "kv");
        long promised = LazyCloneCommandsTest.promised(lazy);
        assertThat(promised).isPositive();

        Path in = dir.resolve("lazy-input");
        java.nio.file.Files.writeString(in, "get b\nsum\n");
        String shown = full.vm("run", "--input", in.toString()).ok().out();
        Dom0Fixture.Result run = lazy.vm("run", "--input", in.toString()).ok();
        assertThat(run.out()).isEqualTo(shown);
        assertThat(run.err()).contains("from remote origin");
        assertThat(LazyCloneCommandsTest.workingState(lazy, "kv")).isEqualTo(LazyCloneCommandsTest.workingState(full, "kv"));
        long after = LazyCloneCommandsTest.promised(lazy);
        assertThat(after).isPositive().isLessThan(promised);

        String done = lazy.vm("--json", "fetch", "--all-chunks").ok().out();
        assertThat(Long.parseLong(Dom0Fixture.field(done, "fetched"))).isEqualTo(after);
        assertThat(LazyCloneCommandsTest.promised(lazy)).isZero();
        assertThat(lazy.vm("replay", "kv", "--verify").ok().out()).contains("identical");
    }

    @Test
    void aColdMigrationThroughAnS3BucketResumesWithTheSameStateIdAndGeneration() throws Exception {
        String ep = server.endpoint().toString();
        server.createBucket("migrate");
        Dom0Fixture a = new Dom0Fixture(dir.resolve("mig-a")).init();
        Dom0Fixture b = new Dom0Fixture(dir.resolve("mig-b")).init();
        a.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        a.runWith("set a 5\n");
        a.vm("commit", "-m", "a is 5").ok();
        a.runWith("set b 7\n");    // uncommitted: the migration carries it
        a.vm("remote", "add", "hub", "s3://migrate/hub", "--endpoint", ep).ok();
        a.vm("push", "hub", "kv").ok();
        String before = a.vm("--json", "status", "-i", "kv").ok().out();
        String generation = Dom0Fixture.field(a.vm("--json", "show", "-i", "kv").ok().out(), "generationId");

        String migrated = a.vm("--json", "migrate", "kv", "hub").ok().out();
        assertThat(Dom0Fixture.field(migrated, "ref")).isEqualTo("refs/migrations/kv");
        assertThat(Dom0Fixture.field(migrated, "state")).isEqualTo(Dom0Fixture.field(before, "workingState"));

        b.vm("remote", "add", "hub", "s3://migrate/hub", "--endpoint", ep).ok();
        assertThat(b.vm("fetch", "hub").ok().out()).contains("migrations/kv -> hub/migrations/kv");
        b.vm("instance", "add", "kv", "hub/migrations/kv").ok();
        String after = b.vm("--json", "status", "-i", "kv").ok().out();
        assertThat(Dom0Fixture.field(after, "workingState")).as("the same machine")
                .isEqualTo(Dom0Fixture.field(before, "workingState"));
        assertThat(Dom0Fixture.field(b.vm("--json", "show", "-i", "kv").ok().out(), "generationId"))
                .as("a migration is not a clone").isEqualTo(generation);
        Path in = dir.resolve("mig-input");
        java.nio.file.Files.writeString(in, "sum\n");
        assertThat(b.vm("run", "-i", "kv", "--input", in.toString()).ok().out()).contains("12");
        Dom0Fixture.Result refused = a.vm("run", "-i", "kv", "--input", in.toString());
        assertThat(refused.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err().strip()).contains("migrated").doesNotContain("\n");
    }

    @Test
    void anEndpointBesideAUrlThatIsNotS3IsRefused() {
        Dom0Fixture.Result r = sender.vm("remote", "add", "odd", dir.resolve("x").toString(), "--endpoint", "http://127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().lines().findFirst().orElseThrow()).contains("--endpoint is for s3:// URLs only");
        Dom0Fixture.Result bad = sender.vm("remote", "add", "odd", "s3://golden/x", "--endpoint", "ftp://h");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("not an S3 endpoint URL");
        assertThat(sender.vm("remote", "list").ok().out()).doesNotContain("odd");
    }
}
