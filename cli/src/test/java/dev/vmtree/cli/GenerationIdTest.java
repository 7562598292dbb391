package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clones stay unique (issue 13 item 4): a new instance of a snapshot gets a fresh VM generation ID at
 * its first run, as a ReplayLog event, so twins diverge and each replays exactly; checkout and
 * rollback keep the ID unless --new-generation; the real-time clock's base is chosen at create.
 */
class GenerationIdTest {
    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void machine() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        f = new Dom0Fixture(dir).init();
        f.vm("create", "kv", "--image", "kvshell", "--clock-base", "2026-01-01T00:00:00Z").ok();
        f.runWith("set a 5\n");
        f.vm("commit", "-m", "one key").ok();
    }

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    private String status(String instance, String field) {
        return Dom0Fixture.field(f.vm("--json", "status", "-i", instance).ok().out(), field);
    }

    private String runAndCommit(String instance, String input) throws Exception {
        Path in = dir.resolve("in-" + System.nanoTime());
        java.nio.file.Files.writeString(in, input);
        f.vm("run", "-i", instance, "--input", in.toString()).ok();
        String json = f.vm("--json", "commit", "-i", instance, "-m", "ran " + instance).ok().out();
        return Dom0Fixture.field(json, "snapshot");
    }

    @Test
    void twoInstancesOfOneSnapshotGetTheirOwnGenerationAndEachReplays() throws Exception {
        String snapshotState = status("kv", "headState");
        f.vm("instance", "add", "a", "kv", "--detach").ok();
        f.vm("instance", "add", "b", "kv", "--detach").ok();
        // right after instance add the working state is still the snapshot's
        assertThat(status("a", "workingState")).isEqualTo(snapshotState);
        assertThat(status("a", "newGenerationPending")).isEqualTo("true");
        assertThat(status("kv", "newGenerationPending")).isEqualTo("false");

        String a = runAndCommit("a", "get a\n");
        String b = runAndCommit("b", "get a\n");
        String stateA = status("a", "headState");
        String stateB = status("b", "headState");
        assertThat(stateA).as("same snapshot, same input, different generation ID").isNotEqualTo(stateB);
        assertThat(status("a", "newGenerationPending")).isEqualTo("false");
        assertThat(f.vm("show", a).ok().out()).contains("generation change");

        assertThat(f.vm("replay", a, "--verify").ok().out()).contains("identical");
        assertThat(f.vm("replay", b, "--verify").ok().out()).contains("identical");
    }

    @Test
    void checkoutKeepsTheGenerationUnlessAskedForANewOne() throws Exception {
        String start = Dom0Fixture.field(f.vm("--json", "status", "-i", "kv").ok().out(), "head");
        runAndCommit("kv", "get a\n");
        String first = status("kv", "headState");

        f.vm("checkout", start, "--discard").ok();
        assertThat(status("kv", "newGenerationPending")).isEqualTo("false");
        runAndCommit("kv", "get a\n");
        assertThat(status("kv", "headState")).as("the same machine going back repeats itself").isEqualTo(first);

        f.vm("checkout", start, "--new-generation").ok();
        assertThat(status("kv", "newGenerationPending")).isEqualTo("true");
        String renewed = runAndCommit("kv", "get a\n");
        assertThat(status("kv", "headState")).isNotEqualTo(first);
        assertThat(f.vm("replay", renewed, "--verify").ok().out()).contains("identical");

        f.vm("rollback", "--new-generation").ok();
        assertThat(status("kv", "newGenerationPending")).isEqualTo("true");
    }

    @Test
    void theClockBaseIsChosenAtCreateAndStoredWithTheMachine() {
        f.vm("create", "later", "--image", "kvshell", "--clock-base", "2027-01-01").ok();
        f.vm("create", "epoch", "--image", "kvshell", "--clock-base", "@1767225600").ok();
        f.vm("create", "host", "--image", "kvshell").ok();
        assertThat(Dom0Fixture.field(f.vm("--json", "show", "kv~1").ok().out(), "clockBase"))
                .isEqualTo("2026-01-01T00:00:00Z");
        assertThat(Dom0Fixture.field(f.vm("--json", "show", "later").ok().out(), "clockBase"))
                .isEqualTo("2027-01-01T00:00:00Z");
        assertThat(Dom0Fixture.field(f.vm("--json", "show", "epoch").ok().out(), "clockBase"))
                .isEqualTo("2026-01-01T00:00:00Z");
        java.time.Instant host = java.time.Instant.parse(
                Dom0Fixture.field(f.vm("--json", "show", "host").ok().out(), "clockBase"));
        assertThat(java.time.Duration.between(host, java.time.Instant.now()).abs()).isLessThan(java.time.Duration.ofMinutes(5));
        assertThat(f.vm("show", "later").ok().out()).contains("clock base    2027-01-01T00:00:00Z");
        // each create gets its own random generation ID, kept in its snapshot
        assertThat(Dom0Fixture.field(f.vm("--json", "show", "later").ok().out(), "generationId"))
                .matches("[0-9a-f]{32}")
                .isNotEqualTo(Dom0Fixture.field(f.vm("--json", "show", "epoch").ok().out(), "generationId"));

        Dom0Fixture.Result bad = f.vm("create", "bad", "--image", "kvshell", "--clock-base", "yesterday");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err().strip()).startsWith("vmtree: --clock-base must be");
        assertThat(bad.err().strip().lines()).hasSize(2).last().asString().startsWith("usage: vmtree create");
        assertThat(f.vm("create", "old", "--image", "kvshell", "--clock-base", "1969-12-31").exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("create", "x", "--from", "kv", "--clock-base", "now").exit()).isEqualTo(ExitCodes.USAGE);
        // branch names only: an abbreviated snapshot id may well contain "bad"
        assertThat(f.vm("branch").ok().out().lines().map(l -> l.substring(2).split(" +")[0]))
                .doesNotContain("bad", "old").contains("kv", "epoch");
    }
}
