package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.service.Json;
import dev.vmtree.store.Repository;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migration (issue 17, docs/migration.md): a background instance whose guest never stops writing
 * memory (guests/src/dirty.c) moves between two repositories on this machine, each with its own Dom0
 * daemon process, while it runs: pre-copy rounds, then a short pause; it runs on at the destination
 * from exactly the state it left (same StateId, and its ReplayLog still replays from its base), and the
 * source instance is retired. A destination that refuses lets the guest run on where it was.
 */
class LiveMigrationTest {
    @TempDir
    Path dir;

    Dom0Fixture a, b;
    Path guests;

    @BeforeEach
    void twoRepositories() {
        guests = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin");
        a = new Dom0Fixture(dir.resolve("a")).init();
        b = new Dom0Fixture(dir.resolve("b")).init();
        a.vm("create", "dm", "--kernel", guests.resolve("dirty.elf").toString(), "--memory", "16M").ok();
    }

    @AfterEach
    void killDaemons() {
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

    @SuppressWarnings("unchecked")
    private static Map<String, Object> ps(Dom0Fixture f, String name) {
        for (Object o : (List<Object>) Json.parse(f.vm("--json", "ps", "-a").ok().out().trim())) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.get("name").equals(name)) {
                return m;
            }
        }
        return null;
    }

    /** Waits until the background instance has run at least {@code n} instructions since its base. */
    private static void runUntil(Dom0Fixture f, String name, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (((Number) ps(f, name).get("instructions")).longValue() < n) {
            assertThat(System.nanoTime()).as("%s still running slowly", name).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void aRunningGuestMovesWhileItWritesMemoryAndGoesOnThereFromTheSameState() throws Exception {
        a.vm("start", "-i", "dm").ok();
        runUntil(a, "dm", 20_000_000);
        Dom0Fixture.Result moved = a.vm("--json", "migrate", "--live", "dm", b.repo.toString());
        Map<String, Object> m = json(moved);
        @SuppressWarnings("unchecked")
        List<Object> pages = (List<Object>) m.get("pagesPerRound");
        assertThat(((Number) m.get("rounds")).intValue()).isGreaterThanOrEqualTo(2).isEqualTo(pages.size());
        assertThat(((Number) pages.get(1)).longValue()).as("the guest ran on and dirtied pages during round 0").isPositive();
        assertThat(((Number) m.get("downtimeMicros")).longValue()).isPositive()
                .isLessThan(((Number) m.get("totalMicros")).longValue());
        String state = (String) m.get("state");

        // the source: retired, its last save exactly the state that left
        Map<String, Object> source = status(a, "dm");
        assertThat(source.get("workingState")).isEqualTo(state);
        assertThat(source.get("migrated")).isNotNull();
        assertThat(a.vm("status", "-i", "dm").ok().out()).contains("migrated to " + b.repo);
        Map<String, Object> gone = ps(a, "dm");
        assertThat(gone == null || !"running".equals(gone.get("state"))).as("not running at the source: %s", gone).isTrue();
        assertThat(a.vm("start", "-i", "dm").exit()).isEqualTo(ExitCodes.FAILURE);

        // the destination: the same machine, same base, running there in its own Dom0
        Map<String, Object> there = status(b, "dm");
        assertThat(there.get("workingState")).as("memory, registers and devices intact").isEqualTo(state);
        assertThat(there.get("head")).isEqualTo(source.get("head"));
        assertThat(there.get("newGenerationPending")).isEqualTo(false);
        assertThat(ps(b, "dm").get("state")).isEqualTo("running");
        // the transient ref of round 0 goes once the instance runs there (just after the answer)
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (refs(b.repo).stream().anyMatch(r -> r.startsWith("refs/migrating/")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(refs(b.repo)).noneMatch(r -> r.startsWith("refs/migrating/"));
        assertThat(refs(a.repo)).noneMatch(r -> r.startsWith("refs/migrating/"));
        runUntil(b, "dm", ((Number) there.get("instructionsSinceHead")).longValue() + 10_000_000);
        b.vm("stop", "-i", "dm").ok();
        String snapshot = (String) json(b.vm("--json", "commit", "-i", "dm", "-m", "after the move")).get("snapshot");
        assertThat(b.vm("replay", snapshot, "--verify").ok().out())
                .as("what it did on both hosts replays from its base").contains("identical");
        b.vm("fsck").ok();
        a.vm("fsck").ok();
    }

    @Test
    void aDestinationThatRefusesLetsTheGuestRunOnHere() throws Exception {
        b.vm("create", "dm", "--kernel", guests.resolve("dirty.elf").toString(), "--memory", "16M").ok();
        a.vm("start", "-i", "dm").ok();
        runUntil(a, "dm", 10_000_000);
        Dom0Fixture.Result refused = a.vm("migrate", "--live", "dm", b.repo.toString());
        assertThat(refused.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err().strip()).contains("already exists").doesNotContain("\n");
        assertThat(ps(a, "dm").get("state")).isEqualTo("running");
        assertThat(status(a, "dm").get("migrated")).isNull();
        assertThat(refs(b.repo)).noneMatch(r -> r.startsWith("refs/migrating/"));
        long before = ((Number) ps(a, "dm").get("instructions")).longValue();
        runUntil(a, "dm", before + 10_000_000);

        assertThat(a.vm("migrate", "--live", "dm", dir.resolve("nowhere").toString()).exit()).isEqualTo(ExitCodes.FAILURE);
        a.vm("stop", "-i", "dm").ok();
        Dom0Fixture.Result stopped = a.vm("migrate", "--live", "dm", b.repo.toString());
        assertThat(stopped.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(stopped.err()).contains("not running in the background");
    }

    private static java.util.Set<String> refs(Path repo) {
        try (Repository r = Repository.open(repo)) {
            return r.refs().keySet();
        }
    }
}
