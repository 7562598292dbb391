package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.service.Json;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cold migration (issue 17, docs/migration.md): an instance moved from repository A through a path
 * remote to repository B keeps its StateId, instruction count, ReplayLog and VM generation ID; A keeps
 * a retired record that refuses to run without --force; bad input is refused with one line and
 * changes nothing.
 */
class MigrationTest {
    @TempDir
    Path dir;

    Dom0Fixture a, b;
    Path hub;

    @BeforeEach
    void twoRepositoriesAndAHub() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        hub = dir.resolve("hub");
        Dom0Fixture.run("init", hub.toString()).ok();
        a = new Dom0Fixture(dir.resolve("a")).init();
        b = new Dom0Fixture(dir.resolve("b")).init();
        a.vm("remote", "add", "hub", hub.toString()).ok();
        b.vm("remote", "add", "hub", hub.toString()).ok();
        a.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        a.runWith("set a 5\n");
        a.vm("commit", "-m", "a is 5").ok();
        // uncommitted state that is not only the guest's doing: a ReplayLog event of its own
        a.runWith("set b 7\n");
        a.vm("mem", "write", "0x80700000", "c0ffee").ok();
    }

    @AfterEach
    void forget() throws InterruptedException {
        System.clearProperty("vmtree.home");
        for (Dom0Fixture f : new Dom0Fixture[] {a, b}) {
            f.killDaemon();
        }
    }

    private static Map<String, Object> json(Dom0Fixture.Result r) {
        return Json.parseObject(r.ok().out().trim());
    }

    private static Map<String, Object> status(Dom0Fixture f, String instance) {
        return json(f.vm("--json", "status", "-i", instance));
    }

    private static Object generation(Dom0Fixture f, String instance) {
        return json(f.vm("--json", "show", "-i", instance)).get("generationId");
    }

    private Path input(String text) throws IOException {
        Path p = dir.resolve("in-" + System.nanoTime());
        Files.writeString(p, text);
        return p;
    }

    private static Map<String, SnapshotId> refs(Path repo) {
        try (Repository r = Repository.open(repo)) {
            return r.refs();
        }
    }

    private static void oneLine(Dom0Fixture.Result r, String contains) {
        assertThat(r.exit()).as("exit status; stderr %s", r.err()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err().strip()).contains(contains).doesNotContain("\n").doesNotContain("Exception");
    }

    @Test
    void aMigratedInstanceResumesThereWithTheSameStateInstructionsAndGeneration() throws Exception {
        Map<String, Object> before = status(a, "kv");
        Object generation = generation(a, "kv");
        assertThat(before.get("dirty")).isEqualTo(true);
        assertThat(generation).isNotNull();

        Map<String, Object> m = json(a.vm("--json", "migrate", "kv", "hub"));
        assertThat(m.get("ref")).isEqualTo("refs/migrations/kv");
        assertThat(m.get("state")).isEqualTo(before.get("workingState"));
        assertThat(m.get("stopped")).isEqualTo(false);
        assertThat(refs(hub)).containsEntry("refs/migrations/kv", new SnapshotId((String) m.get("snapshot")));

        String fetched = b.vm("fetch", "hub").ok().out();
        assertThat(fetched).contains("migrations/kv -> hub/migrations/kv");
        assertThat(b.vm("instance", "add", "kv", "hub/migrations/kv").ok().out()).contains("resumed migrated instance kv");

        Map<String, Object> after = status(b, "kv");
        assertThat(after.get("workingState")).as("the same machine").isEqualTo(before.get("workingState"));
        assertThat(after.get("head")).as("at the same base").isEqualTo(before.get("head"));
        assertThat(after.get("headState")).isEqualTo(before.get("headState"));
        assertThat(after.get("instructionsSinceHead")).isEqualTo(before.get("instructionsSinceHead"));
        assertThat(after.get("newGenerationPending")).isEqualTo(false);
        assertThat(generation(b, "kv")).as("a migration is not a clone").isEqualTo(generation);
        assertThat(after.get("migrated")).isNull();
        Path bytes = dir.resolve("bytes");
        b.vm("mem", "read", "-i", "kv", "-o", bytes.toString(), "0x80700000", "3").ok();
        assertThat(Files.readAllBytes(bytes)).containsExactly(0xc0, 0xff, 0xee);

        // it runs on from where it was, and what it did there replays from its base here
        String out = b.vm("run", "-i", "kv", "--input", input("get a\nget b\n").toString()).ok().out();
        assertThat(out).contains("5").contains("7");
        String snapshot = (String) json(b.vm("--json", "commit", "-i", "kv", "-m", "moved here")).get("snapshot");
        assertThat(b.vm("replay", snapshot, "--verify").ok().out()).contains("identical");
        b.vm("fsck").ok();
    }

    @Test
    void theRetiredInstanceRefusesToRunUntilForcedAndThenIsACopy() throws Exception {
        Object generation = generation(a, "kv");
        a.vm("migrate", "kv", "hub").ok();
        Map<String, Object> s = status(a, "kv");
        @SuppressWarnings("unchecked")
        Map<String, Object> where = (Map<String, Object>) s.get("migrated");
        assertThat(where).containsEntry("remote", hub.toString()).containsEntry("ref", "refs/migrations/kv");
        assertThat(a.vm("status", "-i", "kv").ok().out()).contains("migrated to " + hub).contains("--force");
        assertThat(a.vm("instance", "list").ok().out()).contains("migrated to " + hub);
        // a retired record is version 2, so a vmtree that does not know retirement refuses it rather than run it
        assertThat(Files.readString(a.repo.resolve(".vmtree/instances/kv"))).startsWith("vmtree-instance 2\n")
                .containsPattern("\nmigrated [0-9T:.Z-]+ [0-9a-f]{40} refs/migrations/kv " + java.util.regex.Pattern.quote(
                        hub.toString()) + "\n");
        a.vm("fsck").ok();

        oneLine(a.vm("run", "-i", "kv", "--input", input("get a\n").toString()), "was migrated to " + hub);
        oneLine(a.vm("commit", "-i", "kv", "-m", "here"), "was migrated to " + hub);
        oneLine(a.vm("checkout", "-i", "kv", "kv"), "was migrated to " + hub);
        oneLine(a.vm("start", "-i", "kv"), "was migrated to " + hub);

        Dom0Fixture.Result forced = a.vm("run", "-i", "kv", "--force", "--input", input("get b\n").toString());
        assertThat(forced.ok().out()).contains("7");
        assertThat(forced.err()).contains("as a copy");
        assertThat(status(a, "kv").get("migrated")).isNull();
        assertThat(generation(a, "kv")).as("a copy gets its own generation ID").isNotEqualTo(generation);
        assertThat(a.vm("audit", "-i", "kv").ok().out()).contains("migrate").contains("run --force");

        // the hub still holds the first migration: a second one of that name replaces it only with --force
        oneLine(a.vm("migrate", "kv", "hub"), "already holds a migration of instance kv");
        assertThat(status(a, "kv").get("migrated")).isNull();
        a.vm("run", "-i", "kv", "--input", input("get a\n").toString()).ok();
        a.vm("migrate", "--force", "kv", "hub").ok();
        assertThat(refs(hub).get("refs/migrations/kv")).isEqualTo(refs(a.repo).get("refs/migrations/kv"));
    }

    @Test
    void badInputIsRefusedWithOneLineAndChangesNothing() throws Exception {
        Path record = a.repo.resolve(".vmtree/instances/kv");
        byte[] was = Files.readAllBytes(record);
        Map<String, SnapshotId> refsWere = refs(a.repo);

        oneLine(a.vm("migrate", "nosuch", "hub"), "no instance 'nosuch'");
        oneLine(a.vm("migrate", "kv", "nowhere"), "is not a vmtree repository");
        assertThat(a.dir.resolve("nowhere")).doesNotExist();
        assertThat(a.repo.resolve("nowhere")).doesNotExist();
        assertThat(Files.readAllBytes(record)).isEqualTo(was);
        assertThat(refs(a.repo)).isEqualTo(refsWere);

        a.vm("migrate", "kv", "hub").ok();
        byte[] retired = Files.readAllBytes(record);
        Map<String, SnapshotId> hubRefs = refs(hub);
        oneLine(a.vm("migrate", "kv", "hub"), "already migrated");
        oneLine(a.vm("migrate", "kv", b.repo.toString()), "already migrated");
        assertThat(Files.readAllBytes(record)).isEqualTo(retired);
        assertThat(refs(hub)).isEqualTo(hubRefs);
        assertThat(refs(b.repo)).doesNotContainKey("refs/migrations/kv");

        // an instance name taken at the destination: refused there, the migration stays to be resumed
        b.vm("fetch", "hub").ok();
        b.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        oneLine(b.vm("instance", "add", "kv", "hub/migrations/kv"), "already exists");
        b.vm("instance", "add", "kv2", "hub/migrations/kv").ok();
        assertThat(status(b, "kv2").get("workingState")).isEqualTo(status(a, "kv").get("workingState"));
    }

    @Test
    void resumingOneMigrationTwiceMakesTheSecondACopy() throws Exception {
        Object generation = generation(a, "kv");
        a.vm("migrate", "kv", "hub").ok();
        b.vm("fetch", "hub").ok();
        b.vm("instance", "add", "kv", "hub/migrations/kv").ok();
        Dom0Fixture.Result twice = b.vm("instance", "add", "again", "hub/migrations/kv");
        assertThat(twice.ok().err()).contains("instance kv here has this machine's VM generation ID");
        assertThat(status(b, "again").get("newGenerationPending")).isEqualTo(true);
        assertThat(status(b, "kv").get("newGenerationPending")).isEqualTo(false);
        assertThat(generation(b, "kv")).isEqualTo(generation);

        // and it can come back home: the retired record here does not count as a twin
        b.vm("migrate", "kv", "hub").ok();
        a.vm("fetch", "hub").ok();
        a.vm("instance", "add", "home", "hub/migrations/kv").ok();
        assertThat(status(a, "home").get("newGenerationPending")).isEqualTo(false);
        assertThat(generation(a, "home")).isEqualTo(generation);

        // forgetting a retired instance drops the local ref its push used
        assertThat(refs(b.repo)).containsKey("refs/migrations/kv");
        b.vm("instance", "remove", "--force", "kv").ok();
        assertThat(refs(b.repo)).doesNotContainKey("refs/migrations/kv");
        b.vm("fsck").ok();
    }

    @Test
    void aBackgroundRunIsStoppedFirstThenMigrated() throws Exception {
        Map<String, Object> started = json(a.vm("--json", "start", "-i", "kv"));
        assertThat(started.get("instance")).isEqualTo("kv");
        Map<String, Object> m = json(a.vm("--json", "migrate", "kv", "hub"));
        assertThat(m.get("stopped")).isEqualTo(true);
        assertThat(a.vm("status", "-i", "kv").ok().out()).contains("migrated to");
        assertThat(m.get("state")).isEqualTo(status(a, "kv").get("workingState"));
        b.vm("fetch", "hub").ok();
        b.vm("instance", "add", "kv", "hub/migrations/kv").ok();
        assertThat(status(b, "kv").get("workingState")).isEqualTo(m.get("state"));
        String out = b.vm("run", "-i", "kv", "--input", input("get b\n").toString()).ok().out();
        assertThat(out).contains("7");
    }
}
