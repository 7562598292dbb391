package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.store.remote.LocalFiles;
import dev.vmtree.store.remote.RemoteFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferTest {
    @TempDir
    Path dir;

    private static final Duration LOCK = Duration.ofSeconds(10);

    static SnapshotId commit(Repository repo, String branch, byte[][] pages, String msg) {
        try (WriteTransaction tx = repo.beginWrite()) {
            SnapshotId parent = repo.resolve(branch).orElse(null);
            PageTreeRoot root = tx.buildTree((long) pages.length * TestImages.PAGE, TestImages.PAGE, i -> pages[(int) i]);
            SnapshotId id = tx.writeSnapshot(parent == null ? List.of() : List.of(parent),
                    new SnapshotContent(Map.of("config", msg.getBytes()), Map.of("ram", root)), msg);
            assertThat(tx.updateRef(branch, parent, id, msg).ok()).isTrue();
            return id;
        }
    }

    /** A path remote as the CLI opens one: the bare store's chunks through its own repository. */
    private static Transfer.Remote pathRemote(Path bare) {
        return new Transfer.Remote("origin", bare.toString(), new URIish().setPath(bare.resolve("meta.git").toString()),
                new RepositoryChunks(Repository.openStore(bare), LOCK, m -> {}), null);
    }

    /** The same store read as files (the SFTP and HTTP code path). */
    private Transfer.Remote fileRemote(RemoteFiles files, Path bare) {
        return new Transfer.Remote("origin", bare.toString(), new URIish().setPath(bare.resolve("meta.git").toString()),
                new PackFileChunks(files, "", dir.resolve("cache")), null);
    }

    static String tracking(String ref) {
        return ref.startsWith("refs/heads/") ? "refs/remotes/origin/" + ref.substring(11) : ref;
    }

    @Test
    void pushCreatesABareStoreAndAFetchBringsEveryPageBack() throws Exception {
        byte[][] pages = TestImages.mixed(600, 7);
        Path bare = dir.resolve("remote");
        SnapshotId id;
        try (Repository a = Repository.init(dir.resolve("a"))) {
            id = commit(a, "main", pages, "one");
            RemoteLayout.createBare(new LocalFiles(bare));
            Transfer.Result r = Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false,
                    new Transfer.Counters(), LOCK, m -> {});
            assertThat(r.refs()).singleElement().satisfies(u -> assertThat(u.outcome()).isEqualTo(Transfer.Outcome.NEW));
            assertThat(r.chunks()).isGreaterThan(400);
            assertThat(a.refs()).containsEntry("refs/remotes/origin/main", id);
        }
        try (Repository b = Repository.openStore(bare)) {
            assertThat(b.refs()).containsEntry("refs/heads/main", id);
            assertThat(b.fsck().ok()).isTrue();
        }
        try (Repository c = Repository.init(dir.resolve("c")); var files = new LocalFiles(bare)) {
            Transfer.Result r = Transfer.fetch(c, fileRemote(files, bare), TransferTest::tracking, false,
                    new Transfer.Counters(), LOCK, m -> {});
            assertThat(r.snapshots()).isEqualTo(1);
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", id);
            PageTree t = c.pageTree(c.readSnapshot(id).content().images().get("ram"));
            for (int i = 0; i < pages.length; i++) {
                assertThat(t.page(i)).as("page %d", i).isEqualTo(pages[i]);
            }
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void anUpdateMovesOnlyItsNewChunksBothWays() throws Exception {
        byte[][] pages = TestImages.mixed(3000, 3);
        Path bare = dir.resolve("remote");
        RemoteLayout.createBare(new LocalFiles(bare));
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            commit(a, "main", pages, "one");
            Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false, new Transfer.Counters(), LOCK, m -> {});
            Transfer.fetch(c, pathRemote(bare), TransferTest::tracking, false, new Transfer.Counters(), LOCK, m -> {});
            Random r = new Random(5);
            for (int k = 0; k < 10; k++) {
                pages[1 + 3 * r.nextInt(999)] = TestImages.randomPage(r);
            }
            SnapshotId two = commit(a, "main", pages, "two");
            Transfer.Result up = Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false,
                    new Transfer.Counters(), LOCK, m -> {});
            assertThat(up.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.FAST_FORWARD);
            // ten pages, and the nodes above them: one root and at most ten level-1 nodes
            assertThat(up.chunks()).isBetween(10L, 22L);
            try (var files = new LocalFiles(bare)) {
                Transfer.Result down = Transfer.fetch(c, fileRemote(files, bare), TransferTest::tracking, false,
                        new Transfer.Counters(), LOCK, m -> {});
                assertThat(down.chunks()).isEqualTo(up.chunks());
                assertThat(down.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.FAST_FORWARD);
            }
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", two);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void aNonFastForwardPushIsRefusedWithoutForceAndNothingMovesThere() throws Exception {
        Path bare = dir.resolve("remote");
        RemoteLayout.createBare(new LocalFiles(bare));
        try (Repository a = Repository.init(dir.resolve("a")); Repository b = Repository.init(dir.resolve("b"))) {
            SnapshotId first = commit(a, "main", TestImages.mixed(30, 1), "a");
            Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false, new Transfer.Counters(), LOCK, m -> {});
            SnapshotId other = commit(b, "main", TestImages.mixed(30, 2), "b");
            Transfer.Result r = Transfer.push(b, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false,
                    new Transfer.Counters(), LOCK, m -> {});
            assertThat(r.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.REJECTED);
            try (Repository remote = Repository.openStore(bare)) {
                assertThat(remote.refs()).containsEntry("refs/heads/main", first);
            }
            Transfer.Result forced = Transfer.push(b, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), true,
                    new Transfer.Counters(), LOCK, m -> {});
            assertThat(forced.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.FORCED);
            try (Repository remote = Repository.openStore(bare)) {
                assertThat(remote.refs()).containsEntry("refs/heads/main", other);
                assertThat(remote.fsck().ok()).isTrue();
            }
        }
    }

    @Test
    void aForgedChunkOnTheRemoteIsRejectedAndTheRepositoryStaysAsItWas() throws Exception {
        Path bare = dir.resolve("remote");
        RemoteLayout.createBare(new LocalFiles(bare));
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            commit(a, "main", TestImages.mixed(90, 4), "a");
            Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false, new Transfer.Counters(), LOCK, m -> {});
            SnapshotId mine = commit(c, "main", TestImages.mixed(9, 5), "mine");
            Path pack;
            try (var s = Files.list(bare.resolve("chunks"))) {
                pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
            }
            byte[] b = Files.readAllBytes(pack);
            b[b.length / 2] ^= 1;
            Files.write(pack, b);
            List<String> before;
            try (var s = Files.list(c.chunks().directory())) {
                before = s.map(Path::toString).sorted().toList();
            }
            try (var files = new LocalFiles(bare)) {
                assertThatThrownBy(() -> Transfer.fetch(c, fileRemote(files, bare), TransferTest::tracking, false,
                        new Transfer.Counters(), LOCK, m -> {}))
                        .isInstanceOf(TransferException.class).hasMessageContaining("damaged or forged");
            }
            assertThat(c.refs()).isEqualTo(Map.of("refs/heads/main", mine));
            try (var s = Files.list(c.chunks().directory())) {
                assertThat(s.map(Path::toString).sorted().toList()).isEqualTo(before);
            }
            assertThat(c.fsck().ok()).isTrue();
            // the index of the pack that lied is no longer cached: a repaired remote is read afresh
            try (var s = Files.list(dir.resolve("cache"))) {
                assertThat(s.filter(p -> p.toString().endsWith(".idx")).toList()).isEmpty();
            }
            b[b.length / 2] ^= 1;
            Files.write(pack, b);
            try (var files = new LocalFiles(bare)) {
                Transfer.fetch(c, fileRemote(files, bare), TransferTest::tracking, false, new Transfer.Counters(), LOCK, m -> {});
            }
            assertThat(c.refs()).containsKey("refs/remotes/origin/main");
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    /** Fails every read after the first {@code reads} of pack data, as a dropped connection would. */
    private static final class Flaky implements RemoteFiles {
        private final LocalFiles in;
        private int reads;

        Flaky(LocalFiles in, int reads) {
            this.in = in;
            this.reads = reads;
        }

        @Override public String describe() { return in.describe(); }
        @Override public boolean writable() { return false; }
        @Override public boolean exists(String path) { return in.exists(path); }
        @Override public byte[] readAll(String path, int max) throws IOException { return in.readAll(path, max); }
        @Override public List<String> list(String d) throws IOException { return in.list(d); }
        @Override public void mkdirs(String d) { throw new UnsupportedOperationException(); }
        @Override public OutputStream create(String p) { throw new UnsupportedOperationException(); }
        @Override public void rename(String f, String t) { throw new UnsupportedOperationException(); }
        @Override public void delete(String p) { throw new UnsupportedOperationException(); }
        @Override public void close() {}

        @Override
        public InputStream read(String path, long offset, long length) throws IOException {
            if (reads-- <= 0) {
                throw new IOException("connection reset");
            }
            return in.read(path, offset, length);
        }
    }

    @Test
    void anInterruptedFetchKeepsWhatItVerifiedAndTheNextOneResumes() throws Exception {
        byte[][] pages = TestImages.mixed(64 * 40, 9);   // 40 level-1 nodes: reads of several batches
        Path bare = dir.resolve("remote");
        RemoteLayout.createBare(new LocalFiles(bare));
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            SnapshotId id = commit(a, "main", pages, "a");
            Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false, new Transfer.Counters(), LOCK, m -> {});
            long all;
            try (var files = new LocalFiles(bare)) {
                // the root, then the 40 level-1 nodes (far apart in the pack: one read each); the leaves' read fails
                Transfer.Counters first = new Transfer.Counters();
                assertThatThrownBy(() -> Transfer.fetch(c, new Transfer.Remote("origin", "remote",
                        new URIish().setPath(bare.resolve("meta.git").toString()),
                        new PackFileChunks(new Flaky(files, 41), "", dir.resolve("cache")), null),
                        TransferTest::tracking, false, first, LOCK, m -> {})).isInstanceOf(IOException.class);
                assertThat(c.refs()).doesNotContainKey("refs/remotes/origin/main");
                assertThat(first.chunks.sum()).isEqualTo(41);
                Transfer.Result second = Transfer.fetch(c, fileRemote(files, bare), TransferTest::tracking, false,
                        new Transfer.Counters(), LOCK, m -> {});
                all = second.chunks() + first.chunks.sum();
                assertThat(second.chunks()).isEqualTo(all - 41);
            }
            try (Repository remote = Repository.openStore(bare)) {
                assertThat(all).isEqualTo(remote.chunks().packs().stream().mapToLong(p -> p.index().size()).sum());
            }
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", id);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    /** The same files without listings, as a static web server offers them. */
    private static final class Unlisted implements RemoteFiles {
        private final LocalFiles in;

        Unlisted(LocalFiles in) {
            this.in = in;
        }

        @Override public String describe() { return in.describe(); }
        @Override public boolean writable() { return false; }
        @Override public boolean exists(String path) { return in.exists(path); }
        @Override public byte[] readAll(String path, int max) throws IOException { return in.readAll(path, max); }
        @Override public InputStream read(String p, long o, long l) throws IOException { return in.read(p, o, l); }
        @Override public List<String> list(String d) { return null; }
        @Override public void mkdirs(String d) { throw new UnsupportedOperationException(); }
        @Override public OutputStream create(String p) { throw new UnsupportedOperationException(); }
        @Override public void rename(String f, String t) { throw new UnsupportedOperationException(); }
        @Override public void delete(String p) { throw new UnsupportedOperationException(); }
        @Override public void close() {}
    }

    @Test
    void hostileListingsAndOversizeIndexesAreRefusedWithTheRepositoryUnchanged() throws Exception {
        Path bare = dir.resolve("remote");
        RemoteLayout.createBare(new LocalFiles(bare));
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            commit(a, "main", TestImages.mixed(30, 1), "a");
            Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false, new Transfer.Counters(), LOCK, m -> {});
            SnapshotId mine = commit(c, "main", TestImages.mixed(3, 2), "mine");
            Files.writeString(bare.resolve("chunks/packs"), "../../../etc/passwd\n");
            try (var files = new LocalFiles(bare)) {
                assertThatThrownBy(() -> Transfer.fetch(c, new Transfer.Remote("origin", "remote",
                        new URIish().setPath(bare.resolve("meta.git").toString()),
                        new PackFileChunks(new Unlisted(files), "", dir.resolve("cache")), null),
                        TransferTest::tracking, false, new Transfer.Counters(), LOCK, m -> {}))
                        .isInstanceOf(TransferException.class).hasMessageContaining("bad pack name");
                Files.delete(bare.resolve("chunks/packs"));
                try (var f = new java.io.RandomAccessFile(bare.resolve("chunks/pack-0123.idx").toFile(), "rw")) {
                    f.setLength(Bundle.MAX_INDEX + 1);   // sparse: nothing is written, and nothing may be read
                }
                assertThatThrownBy(() -> Transfer.fetch(c, fileRemote(files, bare), TransferTest::tracking, false,
                        new Transfer.Counters(), LOCK, m -> {}))
                        .isInstanceOf(TransferException.class).hasMessageContaining("more than");
            }
            assertThat(c.refs()).isEqualTo(Map.of("refs/heads/main", mine));
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void aGitPackThatDeclaresMoreThanItHoldsIsRefusedBeforeJGitParsesIt() throws Exception {
        // "PACK", version 2, 2^31 objects, in 20 bytes: JGit's parser would allocate an array of that length
        byte[] hostile = java.nio.ByteBuffer.allocate(20).put("PACK".getBytes()).putInt(2).putInt(0x80000000)
                .putLong(0).array();
        assertThatThrownBy(() -> Transfer.bounded("remote", new java.io.ByteArrayInputStream(hostile)))
                .isInstanceOf(TransferException.class).hasMessageContaining("declares 2147483648 objects");
        byte[] empty = java.nio.ByteBuffer.allocate(32).put("PACK".getBytes()).putInt(2).putInt(0).array();
        assertThat(Transfer.bounded("remote", new java.io.ByteArrayInputStream(empty))).isEqualTo(empty);
    }
}
