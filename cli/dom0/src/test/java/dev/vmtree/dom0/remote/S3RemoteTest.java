package dev.vmtree.dom0.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.ObjectMeta;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.WriteTransaction;
import dev.vmtree.store.remote.ObjectFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, S3 remotes, against a real S3-compatible server (S3Proxy in its own process, {@link
 * TestS3Server}): push creates the object layout, fetch and clone bring every page back, an update
 * moves only its new chunks; two pushers racing for one ref never both win; a push cut by the
 * network resumes from the packs it published; a server that ignores conditional writes is found
 * by the probe and said so.
 */
class S3RemoteTest {
    private static final Duration LOCK = Duration.ofSeconds(10);
    private static final int PAGE = 4096;

    @TempDir
    static Path dir;

    static TestS3Server server;
    static int buckets;

    @BeforeAll
    static void start() throws Exception {
        server = TestS3Server.start(dir.resolve("s3"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String bucket() {
        String b = "vmtree-" + buckets++;
        server.createBucket(b);
        return b;
    }

    static Transfer.Remote open(TestS3Server s, URI endpoint, String url, Path cache, boolean create, List<String> notices) {
        RemoteUrl.S3 u = ((RemoteUrl.S3) RemoteUrl.parse(url, dir)).withEndpoint(endpoint);
        return Connector.open(u, "origin", cache, create, LOCK, notices::add, SshConnection.Settings.fromEnvironment(),
                s.settings(dir));
    }

    private static Transfer.Remote open(String url, Path cache, boolean create) {
        return open(server, server.endpoint(), url, cache, create, new ArrayList<>());
    }

    static byte[][] randomPages(int n, long seed) {
        Random r = new Random(seed);
        byte[][] pages = new byte[n][PAGE];
        for (int i = 0; i < n; i++) {
            if (i % 3 != 0) {
                r.nextBytes(pages[i]);   // every third page stays zero: the tree has holes
            }
        }
        return pages;
    }

    static SnapshotId commit(Repository repo, String branch, byte[][] pages, String msg) {
        try (WriteTransaction tx = repo.beginWrite()) {
            SnapshotId parent = repo.refs().get(branch);
            PageTreeRoot root = tx.buildTree((long) pages.length * PAGE, PAGE, i -> pages[(int) i]);
            SnapshotId id = tx.writeSnapshot(parent == null ? List.of() : List.of(parent),
                    new SnapshotContent(Map.of("config", msg.getBytes()), Map.of("ram", root)), msg);
            assertThat(tx.updateRef(branch, parent, id, msg).ok()).isTrue();
            return id;
        }
    }

    static Transfer.Result push(Repository repo, Transfer.Remote r, String ref) throws IOException {
        try (var c = r.chunks()) {
            return Transfer.push(repo, r, Map.of(ref, ref), false, new Transfer.Counters(), LOCK, m -> {});
        }
    }

    static Transfer.Result fetch(Repository repo, Transfer.Remote r) throws IOException {
        try (var c = r.chunks()) {
            return Transfer.fetch(repo, r, ref -> ref.startsWith("refs/heads/") ? "refs/remotes/origin/" + ref.substring(11)
                    : ref, false, new Transfer.Counters(), LOCK, m -> {});
        }
    }

    static void assertPages(Repository repo, SnapshotId id, byte[][] pages) {
        var t = repo.pageTree(repo.readSnapshot(id).content().images().get("ram"));
        for (int i = 0; i < pages.length; i++) {
            byte[] got = t.page(i);
            assertThat(got == null ? new byte[PAGE] : got).as("page %d (null: a hole)", i).isEqualTo(pages[i]);
        }
    }

    @Test
    void pushCreatesTheLayoutAndFetchBringsEveryPageBackThenOnlyWhatChanged() throws Exception {
        String url = "s3://" + bucket() + "/fleet/golden";
        byte[][] pages = randomPages(900, 1);
        try (Repository a = Repository.init(dir.resolve("a1")); Repository c = Repository.init(dir.resolve("c1"))) {
            SnapshotId one = commit(a, "refs/heads/main", pages, "one");
            Transfer.Result up = push(a, open(url, dir.resolve("a1-cache"), true), "refs/heads/main");
            assertThat(up.refs()).singleElement().satisfies(u -> assertThat(u.outcome()).isEqualTo(Transfer.Outcome.NEW));
            assertThat(up.chunks()).isGreaterThan(590);
            assertThat(server.keys(url.substring(5, url.indexOf('/', 5)))).contains("fleet/golden/FORMAT",
                    "fleet/golden/meta/FORMAT", "fleet/golden/meta/refs/heads/main/00000000000000000001");

            Transfer.Result down = fetch(c, open(url, dir.resolve("c1-cache"), false));
            assertThat(down.snapshots()).isEqualTo(1);
            assertThat(down.remoteHead()).isEqualTo("refs/heads/main");
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", one);
            assertPages(c, one, pages);
            assertThat(c.fsck().ok()).isTrue();

            Random r = new Random(9);
            for (int k = 0; k < 10; k++) {
                r.nextBytes(pages[1 + 3 * r.nextInt(299)]);
            }
            SnapshotId two = commit(a, "refs/heads/main", pages, "two");
            Transfer.Result up2 = push(a, open(url, dir.resolve("a1-cache"), false), "refs/heads/main");
            assertThat(up2.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.FAST_FORWARD);
            assertThat(up2.chunks()).isBetween(10L, 22L);
            Transfer.Result down2 = fetch(c, open(url, dir.resolve("c1-cache"), false));
            assertThat(down2.chunks()).isEqualTo(up2.chunks());
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", two);
            assertPages(c, two, pages);
            assertThat(c.fsck().ok()).isTrue();

            // nothing new: the ref is up to date and no Git pack is downloaded again
            Transfer.Result again = fetch(c, open(url, dir.resolve("c1-cache"), false));
            assertThat(again.chunks()).isZero();
            assertThat(again.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.UP_TO_DATE);
        }
    }

    @Test
    void twoPushersRacingForOneRefNeverBothWin() throws Exception {
        String url = "s3://" + bucket() + "/race";
        try (Repository base = Repository.init(dir.resolve("race-base"))) {
            commit(base, "refs/heads/main", randomPages(30, 2), "base");
            push(base, open(url, dir.resolve("race-base-cache"), true), "refs/heads/main");
        }
        Repository[] hosts = {Repository.init(dir.resolve("race-x")), Repository.init(dir.resolve("race-y"))};
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 6; round++) {
                List<SnapshotId> tips = new ArrayList<>();
                for (int h = 0; h < 2; h++) {
                    Transfer.Result f = fetch(hosts[h], open(url, dir.resolve("race-cache-" + h), false));
                    assertThat(f.anyRejected()).isFalse();
                    SnapshotId theirs = hosts[h].refs().get("refs/remotes/origin/main");
                    try (WriteTransaction tx = hosts[h].beginWrite()) {
                        SnapshotId mine = hosts[h].refs().get("refs/heads/main");
                        tx.updateRef("refs/heads/main", mine, theirs, "fast-forward to origin");
                    }
                    tips.add(commit(hosts[h], "refs/heads/main", randomPages(30, 100 + round * 2 + h), "r" + round + "h" + h));
                }
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Transfer.Result>> results = new ArrayList<>();
                for (int h = 0; h < 2; h++) {
                    int host = h;
                    Transfer.Remote r = open(url, dir.resolve("race-cache-" + h), false);
                    results.add(pool.submit(() -> {
                        start.await();
                        return push(hosts[host], r, "refs/heads/main");
                    }));
                }
                List<SnapshotId> won = new ArrayList<>();
                for (int h = 0; h < 2; h++) {
                    Transfer.RefUpdate u = results.get(h).get().refs().getFirst();
                    if (u.moved()) {
                        won.add(tips.get(h));
                    } else {
                        assertThat(u.outcome()).isEqualTo(Transfer.Outcome.REJECTED);
                    }
                }
                assertThat(won).as("round %d: exactly one pusher wins", round).hasSize(1);
                try (Repository check = Repository.init(dir.resolve("race-check-" + round))) {
                    fetch(check, open(url, dir.resolve("race-check-cache-" + round), false));
                    assertThat(check.refs().get("refs/remotes/origin/main")).as("the winner's update is there").isEqualTo(won.getFirst());
                    assertThat(check.fsck().ok()).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
            for (Repository h : hosts) {
                h.close();
            }
        }
    }

    @Test
    void ofManyWritersAdvancingOneRefFromOneVersionExactlyOneSucceeds() throws Exception {
        String url = "s3://" + bucket() + "/log";
        try (Repository a = Repository.init(dir.resolve("log-a"))) {
            commit(a, "refs/heads/main", randomPages(3, 3), "base");
            push(a, open(url, dir.resolve("log-cache"), true), "refs/heads/main");
        }
        S3Files files = new S3Files(server.client(dir), url.substring(5, url.indexOf('/', 5)), "log", url);
        try (files) {
            for (int round = 0; round < 3; round++) {
                ObjectMeta meta = new ObjectMeta(files, dir.resolve("log-meta-" + round), m -> {});
                ObjectMeta.Version v = meta.refs().get("refs/heads/main");
                ExecutorService pool = Executors.newFixedThreadPool(8);
                CyclicBarrier go = new CyclicBarrier(8);
                List<Future<Boolean>> wins = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    org.eclipse.jgit.lib.ObjectId id = org.eclipse.jgit.lib.ObjectId.fromString(
                            String.format("%040x", round * 8L + w + 1));
                    wins.add(pool.submit(() -> {
                        go.await();
                        return meta.advance("refs/heads/main", v, id);
                    }));
                }
                int n = 0;
                for (Future<Boolean> f : wins) {
                    n += f.get() ? 1 : 0;
                }
                pool.shutdown();
                assertThat(n).as("round %d", round).isEqualTo(1);
                assertThat(meta.refs().get("refs/heads/main").seq()).isEqualTo(v.seq() + 1);
            }
        }
    }

    @Test
    void aPushCutByTheNetworkResumesFromThePacksItPublished() throws Exception {
        String url = "s3://" + bucket() + "/cut";
        byte[][] pages = new byte[12000][PAGE];
        Random r = new Random(4);
        for (byte[] p : pages) {
            r.nextBytes(p);    // 47 MiB that do not compress: two packs of 32 MiB at most
        }
        try (CuttingProxy proxy = new CuttingProxy(server.port());
             Repository a = Repository.init(dir.resolve("cut-a")); Repository c = Repository.init(dir.resolve("cut-c"))) {
            SnapshotId id = commit(a, "refs/heads/main", pages, "big");
            URI via = URI.create("http://127.0.0.1:" + proxy.port());
            proxy.cutAfter(40L << 20);
            assertThatThrownBy(() -> push(a, open(server, via, url, dir.resolve("cut-cache"), true, new ArrayList<>()),
                    "refs/heads/main")).isInstanceOf(IOException.class);
            assertThat(proxy.wasCut()).isTrue();
            proxy.heal();
            Transfer.Result again = push(a, open(server, via, url, dir.resolve("cut-cache"), false, new ArrayList<>()),
                    "refs/heads/main");
            assertThat(again.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.NEW);
            assertThat(again.chunks()).as("the first pack was published: only the rest is sent").isLessThan(12000 / 2);
            fetch(c, open(url, dir.resolve("cut-c-cache"), false));
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", id);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void aServerThatIgnoresConditionalWritesIsFoundAndSaidSo() throws Exception {
        try (TestS3Server old = TestS3Server.startIgnoringConditionalWrites(dir.resolve("s3-old"))) {
            old.createBucket("lax");
            try (S3Files files = new S3Files(old.client(dir), "lax", "", "s3://lax")) {
                assertThat(ObjectMeta.probe(files)).isEqualTo(ObjectFiles.Conditional.IGNORED);
            }
            try (S3Files files = new S3Files(server.client(dir), bucket(), "", "s3://strict")) {
                assertThat(ObjectMeta.probe(files)).isEqualTo(ObjectFiles.Conditional.ENFORCED);
            }
            List<String> notices = new CopyOnWriteArrayList<>();
            byte[][] pages = randomPages(60, 5);
            try (Repository a = Repository.init(dir.resolve("lax-a")); Repository c = Repository.init(dir.resolve("lax-c"))) {
                SnapshotId id = commit(a, "refs/heads/main", pages, "one");
                Transfer.Result up = push(a, open(old, old.endpoint(), "s3://lax/img", dir.resolve("lax-cache"), true, notices),
                        "refs/heads/main");
                assertThat(up.anyRejected()).isFalse();
                assertThat(notices).singleElement().asString().contains("ignores conditional writes")
                        .contains("continuing as its only writer");
                fetch(c, open(old, old.endpoint(), "s3://lax/img", dir.resolve("lax-c-cache"), false, notices));
                assertPages(c, id, pages);
            }
        }
    }

    @Test
    void badCredentialsAMissingBucketAndAnEmptyPrefixGiveOneLine() throws Exception {
        Path cache = dir.resolve("bad-cache");
        S3Settings wrong = S3Settings.of(Map.of("AWS_ACCESS_KEY_ID", TestS3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "nope"),
                dir);
        RemoteUrl.S3 u = ((RemoteUrl.S3) RemoteUrl.parse("s3://" + bucket() + "/x", dir)).withEndpoint(server.endpoint());
        assertThatThrownBy(() -> Connector.open(u, "o", cache, true, LOCK, m -> {}, SshConnection.Settings.fromEnvironment(),
                wrong)).isInstanceOf(ToolstackException.class).hasMessageContaining("refused the credentials")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> open("s3://no-such-bucket/x", cache, true)).isInstanceOf(ToolstackException.class)
                .hasMessageContaining("bucket no-such-bucket does not exist");
        assertThatThrownBy(() -> open("s3://" + bucket() + "/empty", cache, false)).isInstanceOf(ToolstackException.class)
                .hasMessageContaining("is not a vmtree remote");
        assertThatThrownBy(() -> Connector.open(u, "o", cache, true, LOCK, m -> {}, SshConnection.Settings.fromEnvironment(),
                S3Settings.of(Map.of(), dir))).isInstanceOf(ToolstackException.class).hasMessageContaining("no AWS credentials");
    }
}
