package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, remotes over a path: remote add/list/remove, push (creating a bare repository), clone,
 * fetch and pull of a real machine, only the missing chunks moving for an update, non-fast-forward
 * pushes and moved tags refused without --force (and audited with it), and hostile remotes
 * refused with the receiver exactly as it was.
 */
@Tag("engines")
class RemoteCommandsTest {
    @TempDir
    static Path dir;

    static Dom0Fixture sender;
    static Random rnd = new Random(16);
    private static int repos;

    @BeforeAll
    static void machine() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        sender = new Dom0Fixture(dir.resolve("sender")).init();
        sender.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        sender.runWith("set a 5\nset b 7\n");
        scribble(sender, 0x80400000L, 256);
        sender.vm("commit", "-m", "two keys").ok();
        sender.vm("tag", "golden", "kv").ok();
    }

    @AfterAll
    static void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    /** Writes {@code pages} pages of random bytes at {@code addr}: data the guest never reads. */
    static void scribble(Dom0Fixture f, long addr, int pages) {
        for (int i = 0; i < pages; i += 64) {
            byte[] b = new byte[4096 * Math.min(64, pages - i)];
            rnd.nextBytes(b);
            f.vm("mem", "write", "0x" + Long.toHexString(addr + i * 4096L), HexFormat.of().formatHex(b)).ok();
        }
    }

    /** A new snapshot on the current branch: one byte of RAM changed, then commit. */
    private static void change(Dom0Fixture f, String message) {
        byte[] b = new byte[1];
        rnd.nextBytes(b);
        f.vm("mem", "write", "0x80700000", HexFormat.of().formatHex(b)).ok();
        f.vm("commit", "-m", message).ok();
    }

    private static Path fresh(String what) {
        return dir.resolve(what + "-" + repos++);
    }

    private static Map<String, SnapshotId> refs(Path repo) {
        try (Repository r = Repository.open(repo)) {
            return r.refs();
        }
    }

    private static Map<String, SnapshotId> bareRefs(Path store) {
        try (Repository r = Repository.openStore(store)) {
            return r.refs();
        }
    }

    private static Dom0Fixture cloneOf(Path remote) {
        Dom0Fixture c = new Dom0Fixture(fresh("clone"));
        Dom0Fixture.run("clone", remote.toString(), c.repo.toString()).ok();
        return c;
    }

    @Test
    void pushMakesABareRepositoryThatClonesIntoAWorkingMachine() {
        Path remote = fresh("remote");
        String pushed = sender.vm("push", remote.toString(), "kv", "golden").ok().out();
        assertThat(pushed).contains("[new]").contains("kv -> kv").contains("golden -> golden");
        assertThat(remote.resolve("FORMAT")).exists();
        assertThat(bareRefs(remote)).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"));

        Dom0Fixture c = cloneOf(remote);
        Map<String, SnapshotId> got = refs(c.repo);
        assertThat(got).containsEntry("refs/heads/kv", refs(sender.repo).get("refs/heads/kv"))
                .containsEntry("refs/remotes/origin/kv", refs(sender.repo).get("refs/heads/kv"))
                .containsKey("refs/tags/golden");
        assertThat(c.vm("remote", "list").ok().out()).contains("origin\t" + remote);
        assertThat(c.vm("status").ok().out()).contains("instance kv").contains("on branch kv");
        c.vm("fsck").ok();
        assertThat(c.vm("replay", "kv", "--verify").ok().out()).contains("identical");
        Path in = c.dir.resolve("in.txt");
        writeString(in, "get b\n");
        assertThat(c.vm("run", "--input", in.toString()).ok().out()).contains("7");
    }

    @Test
    void anUpdateMovesOnlyWhatChangedAndPullChecksTheInstanceOut() {
        Path remote = fresh("remote");
        Dom0Fixture s = new Dom0Fixture(fresh("sender"));
        Dom0Fixture.run("clone", pushAll(remote).toString(), s.repo.toString()).ok();
        s.vm("remote", "remove", "origin").ok();
        s.vm("remote", "add", "up", remote.toString()).ok();
        Dom0Fixture c = cloneOf(remote);

        scribble(s, 0x80600000L, 40);   // 1% of the 4096 pages of RAM
        s.vm("commit", "-m", "1% update").ok();
        String json = s.vm("--json", "push", "up", "kv").ok().out();
        long chunks = Long.parseLong(Dom0Fixture.field(json, "chunks"));
        // 40 pages, at most 40 level-1 nodes, the nodes above, and the snapshot's small images
        assertThat(chunks).isBetween(40L, 100L);
        assertThat(Dom0Fixture.field(json, "outcome")).isEqualTo("fast_forward");

        String pull = c.vm("--json", "pull", "origin").ok().out();
        assertThat(Long.parseLong(Dom0Fixture.field(pull, "chunks"))).isEqualTo(chunks);
        SnapshotId head = refs(s.repo).get("refs/heads/kv");
        assertThat(Dom0Fixture.field(pull, "base")).isEqualTo(head.hex());
        assertThat(refs(c.repo)).containsEntry("refs/heads/kv", head);
        c.vm("fsck").ok();
        assertThat(c.vm("replay", "kv", "--verify").ok().out()).contains("identical");
        assertThat(c.vm("pull", "origin").ok().out()).contains("already up to date");
    }

    @Test
    void pullLeavesAnInstanceWithUncommittedStateWhereItIs() {
        Path remote = fresh("remote");
        pushAll(remote);
        Dom0Fixture c = cloneOf(remote);
        SnapshotId before = refs(c.repo).get("refs/heads/kv");
        Dom0Fixture s = cloneOf(remote);
        change(s, "next");
        s.vm("push", "origin", "kv").ok();
        c.vm("mem", "write", "0x80700000", "ff").ok();   // uncommitted state
        String out = c.vm("pull", "origin").ok().out();
        assertThat(out).contains("uncommitted state");
        assertThat(refs(c.repo).get("refs/heads/kv")).isNotEqualTo(before);
        assertThat(c.vm("status").ok().out()).contains(before.shortHex());
    }

    @Test
    void aNonFastForwardPushIsRefusedAndForceIsAudited() {
        Path remote = fresh("remote");
        pushAll(remote);
        Dom0Fixture a = cloneOf(remote);
        Dom0Fixture b = cloneOf(remote);
        change(a, "from a");
        change(b, "from b");
        a.vm("push", "origin", "kv").ok();
        SnapshotId atA = refs(a.repo).get("refs/heads/kv");
        Dom0Fixture.Result refused = b.vm("push", "origin", "kv");
        assertThat(refused.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.out()).contains("[rejected]");
        assertThat(bareRefs(remote)).containsEntry("refs/heads/kv", atA);

        b.vm("push", "--force", "origin", "kv").ok();
        assertThat(bareRefs(remote)).containsEntry("refs/heads/kv", refs(b.repo).get("refs/heads/kv"));
        assertThat(b.vm("audit").ok().out()).contains("force").contains("refs/heads/kv");
        // and the first pusher's pull now refuses: the branches diverged
        Dom0Fixture.Result diverged = a.vm("pull", "origin");
        assertThat(diverged.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(diverged.err()).contains("diverged");
        assertThat(refs(a.repo)).containsEntry("refs/heads/kv", atA);
    }

    @Test
    void aTagMovedOnTheRemoteIsNotMovedHereWithoutForce() {
        Path remote = fresh("remote");
        pushAll(remote);
        Dom0Fixture c = cloneOf(remote);
        Dom0Fixture s = cloneOf(remote);
        change(s, "newer");
        s.vm("tag", "-d", "--force", "golden").ok();
        s.vm("tag", "golden", "kv").ok();
        s.vm("push", "--force", "origin", "golden").ok();
        SnapshotId old = refs(c.repo).get("refs/tags/golden");
        Dom0Fixture.Result r = c.vm("fetch", "origin");
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.out()).contains("[rejected]").contains("golden");
        assertThat(refs(c.repo)).containsEntry("refs/tags/golden", old);
        c.vm("fetch", "--force", "origin").ok();
        assertThat(refs(c.repo)).containsEntry("refs/tags/golden", refs(s.repo).get("refs/tags/golden"));
        assertThat(c.vm("audit").ok().out()).contains("refs/tags/golden");
    }

    @Test
    void remoteRemoveDropsItsTrackingRefsAndCloneAcceptsFileUrls() {
        Path remote = fresh("remote");
        pushAll(remote);
        Dom0Fixture c = new Dom0Fixture(fresh("clone"));
        Dom0Fixture.run("clone", remote.toUri().toString(), c.repo.toString()).ok();
        assertThat(refs(c.repo)).containsKey("refs/remotes/origin/kv");
        c.vm("remote", "remove", "origin").ok();
        assertThat(refs(c.repo).keySet()).noneMatch(k -> k.startsWith("refs/remotes/"));
        assertThat(c.vm("remote", "list").ok().out()).isEmpty();
        Dom0Fixture.Result again = c.vm("remote", "remove", "origin");
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("no remote named origin");
        assertThat(c.vm("remote", "add", "-bad", remote.toString()).exit()).isNotZero();
    }

    @Test
    void aCloneThatFailsLeavesNothingAndAFullDestinationIsRefused() throws Exception {
        Path target = fresh("clone");
        Dom0Fixture.Result r = Dom0Fixture.run("clone", dir.resolve("nowhere").toString(), target.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("not a vmtree repository").doesNotContain("\tat ");
        assertThat(target).doesNotExist();
        Files.createDirectories(target);
        Files.writeString(target.resolve("keep"), "mine");
        Path remote = fresh("remote");
        pushAll(remote);
        Dom0Fixture.Result full = Dom0Fixture.run("clone", remote.toString(), target.toString());
        assertThat(full.exit()).isNotZero();
        assertThat(full.err()).contains("not an empty directory");
        assertThat(Files.readString(target.resolve("keep"))).isEqualTo("mine");
    }

    @Test
    void aForgedChunkOrAMissingObjectOnTheRemoteLeavesTheReceiverAsItWas() throws Exception {
        Path remote = fresh("remote");
        pushAll(remote);
        Dom0Fixture c = cloneOf(remote);
        Dom0Fixture s = cloneOf(remote);
        scribble(s, 0x80500000L, 8);
        s.vm("commit", "-m", "more").ok();
        s.vm("push", "origin", "kv").ok();
        Map<String, SnapshotId> before = refs(c.repo);

        // the newest pack on the remote has one byte flipped in its middle
        Path newest;
        try (Stream<Path> files = Files.list(remote.resolve("chunks"))) {
            newest = files.filter(p -> p.toString().endsWith(".pack"))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().lastModified())).orElseThrow();
        }
        byte[] good = Files.readAllBytes(newest);
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(newest, bad);
        Dom0Fixture.Result r = c.vm("fetch", "origin");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).doesNotContain("\n").contains("damaged or forged");
        assertThat(refs(c.repo)).isEqualTo(before);
        c.vm("fsck").ok();
        Files.write(newest, good);

        // a branch on the remote naming a commit it does not have
        Files.writeString(remote.resolve("meta.git/refs/heads/ghost"), "1234567890123456789012345678901234567890\n");
        Dom0Fixture.Result ghost = c.vm("fetch", "origin");
        assertThat(ghost.exit()).isNotZero();
        assertThat(refs(c.repo)).isEqualTo(before);
        c.vm("fsck").ok();
        Files.delete(remote.resolve("meta.git/refs/heads/ghost"));
        c.vm("fetch", "origin").ok();
        assertThat(refs(c.repo).get("refs/remotes/origin/kv")).isEqualTo(refs(s.repo).get("refs/heads/kv"));
    }

    private static Path pushAll(Path remote) {
        sender.vm("push", remote.toString(), "kv", "golden").ok();
        return remote;
    }

    private static void writeString(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
