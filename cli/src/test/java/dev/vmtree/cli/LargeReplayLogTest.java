package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.ChunkId;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.Snapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 1: a ReplayLog far past the store's 16 MiB chunk limit (NBD writes, console input)
 * saves, commits, replays and is collected by gc like any other data (format version 3,
 * docs/format.md "ReplayLog"); a save that fails keeps the writes and retries (docs/cli.md).
 */
@Tag("engines")
class LargeReplayLogTest {
    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void machine() {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        f = new Dom0Fixture(dir).init();
        f.vm("create", "d", "--image", "kvshell", "--memory", "16M", "--disk-size", "64M").ok();
    }

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} through NBD in 1 MiB requests at {@code offset}, each acknowledged. */
    private static void writeOverNbd(String url, long offset, byte[] data) throws Exception {
        try (NbdTestClient c = new NbdTestClient(url)) {
            for (int done = 0; done < data.length; done += 1 << 20) {
                int n = Math.min(1 << 20, data.length - done);
                assertThat(c.write(offset + done, Arrays.copyOfRange(data, done, done + n))).isZero();
            }
            assertThat(c.flush()).isZero();
        }
    }

    private byte[] exportedDisk() throws Exception {
        Path out = dir.resolve("disk-" + System.nanoTime() + ".img");
        f.vm("disk", "export", "--format", "raw", out.toString()).ok();
        return Files.readAllBytes(out);
    }

    private long storeBytes() throws Exception {
        try (Stream<Path> s = Files.list(f.repo.resolve(".vmtree/chunks"))) {
            long n = 0;
            for (Path p : s.toList()) {
                n += Files.size(p);
            }
            return n;
        }
    }

    @Test
    void aDiskServeSessionOfMoreThanSixteenMiBOfWritesIsSavedCommittedAndReplayed() throws Exception {
        byte[] data = random(24 << 20, 1);
        long before = storeBytes();
        Dom0Fixture.Started rw = f.start("disk", "serve", "-i", "d", "--nbd", "0", "--once");
        writeOverNbd(rw.out().readLine(), 0, data);
        assertThat(rw.out().readLine()).contains("saved 24 writes");
        rw.done().get(120, TimeUnit.SECONDS).ok();

        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "dirty")).isEqualTo("true");
        assertThat(Arrays.copyOf(exportedDisk(), data.length)).isEqualTo(data);
        // whole-block writes share their chunks with the disk: the log costs next to nothing more
        assertThat(storeBytes() - before).isLessThan((24L << 20) + (4L << 20));
        f.vm("commit", "-m", "24 MiB over NBD").ok();
        assertThat(f.vm("show").ok().out()).contains("24 events (24 disk write)");
        assertThat(f.vm("replay", "d", "--verify").ok().out()).contains("identical to d");
        f.vm("fsck").ok();
    }

    @Test
    void aRunFedMoreThanOnePointTwoMegabytesOfConsoleInputSavesAndReplays() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; in.length() < 1_300_000; i++) {
            in.append("set k").append(i % 50).append(' ').append(i).append('\n');
        }
        f.runWith(in.toString());
        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "dirty")).isEqualTo("true");
        f.vm("commit", "-m", "much input").ok();
        // every byte the guest took is an event (the few still in the UART's FIFO when it waited are not)
        var events = java.util.regex.Pattern.compile("replay log +([0-9]+) events \\(([0-9]+) console input\\)")
                .matcher(f.vm("show").ok().out());
        assertThat(events.find()).isTrue();
        assertThat(Long.parseLong(events.group(1))).isEqualTo(Long.parseLong(events.group(2)))
                .isBetween(in.length() - 64L, (long) in.length());
        assertThat(f.vm("replay", "d", "--verify").ok().out()).contains("identical to d");
        assertThat(f.vm("mem", "read", "0x80000000", "16").exit()).isZero();
    }

    /** Every chunk of the ReplayLog payload image of the snapshot {@code rev} names. */
    private Set<ChunkId> payloadChunks(String rev) {
        try (Repository repo = Repository.open(f.repo)) {
            Snapshot s = repo.readSnapshot(repo.resolve(rev).orElseThrow());
            PageTreeRoot data = s.content().images().get("replay.data");
            assertThat(data).as("the payload image of " + rev).isNotNull();
            Set<ChunkId> ids = new HashSet<>();
            PageTree.forEachChunk(repo.chunks(), data, new HashSet<>(), ids::add);
            return ids;
        }
    }

    private boolean allStored(Set<ChunkId> ids, boolean stored) {
        try (Repository repo = Repository.open(f.repo)) {
            return ids.stream().allMatch(id -> repo.chunks().contains(id) == stored);
        }
    }

    @Test
    void gcCollectsThePayloadsOfAnUnreachableLogAndKeepsThoseOfReachableOnes() {
        String a = HexFormat.of().formatHex(random(150_000, 2)), b = HexFormat.of().formatHex(random(150_000, 3));
        f.vm("mem", "write", "0x80800000", a).ok();
        f.vm("commit", "-m", "a").ok();
        f.vm("branch", "tmp").ok();
        f.vm("instance", "add", "t", "tmp").ok();
        f.vm("mem", "write", "-i", "t", "0x80800000", b).ok();
        f.vm("gc", "--expire", "0").ok();           // b is only in t's working state: kept
        f.vm("commit", "-i", "t", "-m", "b").ok();
        f.vm("replay", "tmp", "--verify").ok();
        Set<ChunkId> kept = payloadChunks("d"), dropped = payloadChunks("tmp");
        assertThat(kept).isNotEmpty();
        assertThat(dropped).isNotEmpty().doesNotContainAnyElementsOf(kept);
        f.vm("gc", "--expire", "0").ok();
        assertThat(allStored(kept, true)).isTrue();
        assertThat(allStored(dropped, true)).as("a reachable log's payloads stay").isTrue();
        f.vm("rollback", "-i", "t").ok();              // now only tmp's reflog names the snapshot b
        f.vm("gc").ok();
        assertThat(allStored(dropped, true)).as("a log reached through a reflog entry stays").isTrue();

        f.vm("instance", "remove", "t").ok();
        f.vm("branch", "-D", "tmp").ok();
        f.vm("gc", "--expire", "0").ok();
        assertThat(allStored(dropped, false)).as("an unreachable log's payloads go").isTrue();
        assertThat(allStored(kept, true)).isTrue();
        assertThat(f.vm("replay", "d", "--verify").ok().out()).contains("identical to d");
        f.vm("fsck").ok();
    }

    @Test
    void aSaveThatFailsKeepsTheWritesInMemoryAndARetrySavesThem() throws Exception {
        byte[] data = random(3 << 20, 4);
        Dom0Fixture.Started rw = f.start("disk", "serve", "-i", "d", "--nbd", "0", "--once");
        String url = rw.out().readLine();
        // the store cannot take a new pack: its chunks directory is replaced by a file
        Path chunks = f.repo.resolve(".vmtree/chunks"), away = f.repo.resolve(".vmtree/chunks.away");
        Files.move(chunks, away);
        Files.writeString(chunks, "not a directory");
        writeOverNbd(url, 1 << 20, data);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!rw.errSoFar().contains("cannot save") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(rw.errSoFar()).contains("vmtree: cannot save 3 writes to d's disk0: ")
                .contains("nothing is dropped: the machine stays in memory and the save is retried");
        assertThat(rw.done()).isNotDone();
        Files.delete(chunks);
        Files.move(away, chunks);
        assertThat(rw.out().readLine()).contains("saved 3 writes");
        rw.done().get(120, TimeUnit.SECONDS).ok();
        assertThat(rw.errSoFar()).contains("saved 3 writes to d's disk0 after");

        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "dirty")).isEqualTo("true");
        assertThat(Arrays.copyOfRange(exportedDisk(), 1 << 20, (1 << 20) + data.length)).isEqualTo(data);
        f.vm("commit", "-m", "after a retry").ok();
        assertThat(f.vm("replay", "d", "--verify").ok().out()).contains("identical to d");
        f.vm("fsck").ok();
    }
}
