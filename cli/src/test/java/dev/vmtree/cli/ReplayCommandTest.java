package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.input.InputEvent;
import dev.vmtree.core.loader.ElfLoader;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.replay.ReplayLog;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.rv64.CoreDriver;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmtree replay} on the built-in key-value guest: a snapshot made of console input, a
 * {@code mem write} and a {@code reg} edit replays to its own StateId; an altered log is caught and
 * reported; intermediate moments become instances.
 */
@Tag("engines")
class ReplayCommandTest {
    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void machine() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        f = new Dom0Fixture(dir).init();
        f.vm("create", "kv", "--image", "kvshell").ok();
        f.runWith("set a 5\nset b 7\n");
        f.vm("mem", "write", "0x80400000", "cafe").ok();            // an edit between two runs
        f.vm("reg", "mscratch=0x1234").ok();       // M-mode belongs to the hypervisor: the S-mode guest never reads it
        f.runWith("sum\nlist\n");
        f.vm("commit", "-m", "two keys").ok();
    }

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }


    @Test
    void replayVerifiesASnapshotMadeOfInputAndEdits() {
        assertThat(f.vm("show", "kv").ok().out()).contains("console input").contains("memory write")
                .contains("register write");
        Dom0Fixture.Result r = f.vm("replay", "kv", "--verify").ok();
        assertThat(r.out()).contains(", identical to kv").doesNotContain("divergence");
        String json = f.vm("--json", "replay", "kv", "--verify").ok().out();
        assertThat(Dom0Fixture.field(json, "verified")).isEqualTo("true");
        assertThat(Dom0Fixture.field(json, "actual")).isEqualTo(Dom0Fixture.field(json, "expected"));
        assertThat(Dom0Fixture.field(json, "reached")).isEqualTo(Dom0Fixture.field(json, "end"));
    }

    @Test
    void anAlteredLogIsReportedWithItsDifferences() throws Exception {
        // the same snapshot, but the log gives "set a 6" where the guest was given "set a 5"
        alteredCopy("bad-value", events -> {
            List<ReplayEvent> out = new ArrayList<>();
            boolean done = false;
            for (ReplayEvent e : events) {
                String text = e instanceof ReplayEvent.Input in && in.event().kind() == InputEvent.Kind.CONSOLE
                        ? new String(in.event().data(), StandardCharsets.ISO_8859_1) : "";
                if (!done && text.contains("5")) {
                    e = new ReplayEvent.Input(new InputEvent(e.at(), InputEvent.Kind.CONSOLE,
                            text.replaceFirst("5", "6").getBytes(StandardCharsets.ISO_8859_1)));
                    done = true;
                }
                out.add(e);
            }
            assertThat(done).isTrue();
            return out;
        });
        Dom0Fixture.Result r = f.vm("replay", "bad-value", "--verify");
        assertThat(r.exit()).isEqualTo(ExitCodes.DIVERGED);
        // only the page holding the shell's table (0x8020b940, see `nm kvshell.elf`) differs
        assertThat(r.out()).contains("the replay diverged").contains("memory: 1 page of 4 KiB differ")
                .contains("0x8020b000-0x8020bfff");

        // the first console byte delivered later than the guest took it
        alteredCopy("bad-time", events -> {
            List<ReplayEvent> out = new ArrayList<>();
            boolean done = false;
            for (ReplayEvent e : events) {
                if (!done && e instanceof ReplayEvent.Input in && in.event().kind() == InputEvent.Kind.CONSOLE) {
                    e = new ReplayEvent.Input(new InputEvent(in.at() + 1, InputEvent.Kind.CONSOLE, in.event().data()));
                    done = true;
                }
                out.add(e);
            }
            return out;
        });
        r = f.vm("replay", "bad-time", "--verify");
        assertThat(r.exit()).isEqualTo(ExitCodes.DIVERGED);
        assertThat(r.out()).contains("first divergence: ");
        // nothing stored was harmed: the real snapshot still verifies
        f.vm("replay", "kv", "--verify").ok();
    }

    @Test
    void untilMaterialisesAnIntermediateMomentAsAnInstance() throws Exception {
        String json = f.vm("--json", "replay", "kv").ok().out();
        long from = Long.parseLong(Dom0Fixture.field(json, "from")), end = Long.parseLong(Dom0Fixture.field(json, "end"));
        long middle = from + (end - from) / 2;
        f.vm("replay", "kv", "--until", Long.toString(middle), "--to-instance", "mid").ok();
        String status = f.vm("--json", "status", "-i", "mid").ok().out();
        assertThat(status).contains("\"dirty\":true");
        assertThat(f.vm("--json", "show", "-i", "mid").ok().out()).contains("\"instructions\":" + middle);
        // the full replay as an instance has exactly the snapshot's state
        f.vm("replay", "kv", "--until", Long.toString(end), "--to-instance", "whole").ok();
        String kvState = Dom0Fixture.field(f.vm("--json", "show", "kv").ok().out(), "state");
        assertThat(Dom0Fixture.field(f.vm("--json", "show", "-i", "whole").ok().out(), "state")).isEqualTo(kvState);
        // and it runs on from there
        Path in = dir.resolve("more");
        Files.writeString(in, "get b\n");
        assertThat(f.vm("run", "-i", "whole", "--input", in.toString()).ok().out()).contains("7");

        long printf = ElfLoader.symbol(Files.readAllBytes(Path.of(System.getProperty("vmtree.project.root"))
                .resolve("guests/bin/kvshell.elf")), "printf_lite").orElseThrow();
        String at = f.vm("replay", "kv", "--until-pc", "0x" + Long.toHexString(printf), "--to-instance", "first-print")
                .ok().out();
        assertThat(at).contains("the pc was reached");
        assertThat(f.vm("reg", "-i", "first-print", "pc").ok().out().trim()).endsWith(Long.toHexString(printf));

        assertThat(f.vm("replay", "kv", "--until-pc", "0x10").ok().out()).contains("the pc 0x10 was not reached");
        assertThat(f.vm("replay", "kv", "--until", Long.toString(end + 1)).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("replay", "kv", "--until", "5", "--verify").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("replay", "kv", "--to-instance", "mid").exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(f.vm("replay", "kv~1").err()).contains("root snapshot");
        assertThat(f.vm("replay", "nosuch").exit()).isNotZero();
    }

    @Test
    void aCorruptOrMisplacedLogIsAOneLineErrorAndHarmsNothing() {
        alteredFile("garbage", b -> "not a replay log".getBytes(StandardCharsets.US_ASCII));
        Dom0Fixture.Result r = f.vm("replay", "garbage", "--verify");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err().strip()).contains("replay log").contains("bad magic").doesNotContain("\n")
                .doesNotContain("Exception");
        // a log that claims to start elsewhere than the parent stands
        alteredLog("misplaced", log -> new ReplayLog(log.start() + 1, log.events().stream()
                .filter(e -> e.at() >= log.start() + 1).toList()), true);
        r = f.vm("replay", "misplaced");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err().strip()).contains("starts at instruction").doesNotContain("\n");
        // a version 3 header whose event list image is gone
        alteredSnapshot("no-events", (files, images) -> images.remove("replay.events"));
        r = f.vm("replay", "no-events", "--verify");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err().strip()).contains("replay log").contains("replay.events").doesNotContain("\n");
        f.vm("replay", "kv", "--verify").ok();
        f.vm("fsck").ok();
    }

    @Test
    void aLogInTheSingleFileFormatOfOlderVersionsStillReplays() {
        alteredLog("old-format", log -> log, false);
        try (Repository repo = Repository.open(f.repo)) {
            Snapshot s = repo.readSnapshot(repo.resolveRef("refs/tags/old-format").orElseThrow());
            assertThat(s.content().files().get("replay.log")[4]).isEqualTo((byte) 1);
            assertThat(s.content().images()).doesNotContainKeys("replay.events", "replay.data");
        }
        assertThat(f.vm("show", "old-format").ok().out()).contains("console input").contains("memory write");
        assertThat(f.vm("replay", "old-format", "--verify").ok().out()).contains("identical");
    }

    /** Tags a copy of kv (same parent, same machine images) whose files and images are {@code change}d. */
    private void alteredSnapshot(String tag, java.util.function.BiConsumer<Map<String, byte[]>, Map<String, PageTreeRoot>> change) {
        alteredSnapshot(tag, (tx, files, images) -> change.accept(files, images));
    }

    interface Change {
        void apply(WriteTransaction tx, Map<String, byte[]> files, Map<String, PageTreeRoot> images);
    }

    private void alteredSnapshot(String tag, Change change) {
        try (Repository repo = Repository.open(f.repo); WriteTransaction tx = repo.beginWrite()) {
            SnapshotId kv = repo.resolveRef("refs/heads/kv").orElseThrow();
            Snapshot s = repo.readSnapshot(kv);
            Map<String, byte[]> files = new HashMap<>(s.content().files());
            Map<String, PageTreeRoot> images = new HashMap<>(s.content().images());
            change.apply(tx, files, images);
            SnapshotId copy = tx.writeSnapshot(s.parents(), new SnapshotContent(files, images), tag);
            assertThat(tx.updateRef("refs/tags/" + tag, null, copy, "test: " + tag).ok()).isTrue();
        }
    }

    /** Tags a copy of kv whose replay.log file is {@code change}d (its images kept). */
    private void alteredFile(String tag, UnaryOperator<byte[]> change) {
        alteredSnapshot(tag, (files, images) -> files.put("replay.log", change.apply(files.get("replay.log"))));
    }

    /**
     * Tags a copy of kv whose ReplayLog is {@code change}d, stored in format version 3 ({@code v3})
     * or in the single file of versions 1 and 2.
     */
    private void alteredLog(String tag, UnaryOperator<ReplayLog> change, boolean v3) {
        ReplayLog log;
        try (Repository repo = Repository.open(f.repo)) {
            Snapshot s = repo.readSnapshot(repo.resolveRef("refs/heads/kv").orElseThrow());
            log = change.apply(CoreDriver.replayLog(repo, new MachineDriver.StoredState(s.content().files(),
                    s.content().images())));
        }
        ReplayLog.Encoded e = log.encode();
        alteredSnapshot(tag, (tx, files, images) -> {
            files.put("replay.log", v3 ? e.header() : log.encodeSingleFile());
            images.remove("replay.events");
            images.remove("replay.data");
            for (var stream : Map.of("replay.events", e.events(), "replay.data", e.data()).entrySet()) {
                if (v3 && stream.getValue().length() > 0) {
                    images.put(stream.getKey(), tx.buildTree(stream.getValue().imageSize(), ReplayLog.PAGE,
                            i -> stream.getValue().pages().get((int) i)));
                }
            }
        });
    }

    /** Tags a copy of kv (same parent, same images) whose ReplayLog is {@code change}d. */
    private void alteredCopy(String tag, UnaryOperator<List<ReplayEvent>> change) {
        alteredLog(tag, log -> new ReplayLog(log.start(), change.apply(log.events())), true);
    }
}
