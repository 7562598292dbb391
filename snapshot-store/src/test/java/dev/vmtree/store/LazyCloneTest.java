package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.store.remote.LocalFiles;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, lazy start in the store: a lazy fetch brings commits and page-tree nodes only, a
 * {@link Promisor} faults absent pages in (with read-ahead, each verified before it is kept), fsck
 * tells promised chunks from damaged ones, and {@link Completion} fetches the rest.
 */
class LazyCloneTest {
    @TempDir
    Path dir;

    private static final Duration LOCK = Duration.ofSeconds(10);
    private static final int PAGES = 600;   // 400 distinct non-zero pages under one root and 10 level-1 nodes

    byte[][] pages;
    Path bare;
    SnapshotId id;

    @BeforeEach
    void aRemoteWithOneImage() throws Exception {
        pages = TestImages.mixed(PAGES, 17);
        bare = dir.resolve("remote");
        RemoteLayout.createBare(new LocalFiles(bare));
        try (Repository a = Repository.init(dir.resolve("a"))) {
            id = TransferTest.commit(a, "main", pages, "one");
            Transfer.push(a, pathRemote(bare), Map.of("refs/heads/main", "refs/heads/main"), false,
                    new Transfer.Counters(), LOCK, m -> {});
        }
    }

    private static Transfer.Remote pathRemote(Path store) {
        return new Transfer.Remote("origin", store.toString(), new URIish().setPath(store.resolve("meta.git").toString()),
                new RepositoryChunks(Repository.openStore(store), LOCK, m -> {}), null);
    }

    /** A promisor over the bare remote, connected as the toolstack connects one: on the first fault. */
    private Promisor promisor(Path store) {
        return new Promisor("origin", store.toString(), () -> pathRemote(store).chunks());
    }

    private Repository lazyClone(String name) throws Exception {
        Repository c = Repository.init(dir.resolve(name));
        Transfer.Result r = Transfer.fetch(c, pathRemote(bare), TransferTest::tracking, false, true,
                new Transfer.Counters(), LOCK, m -> {});
        assertThat(r.snapshots()).isEqualTo(1);
        assertThat(r.chunks()).as("the root and its ten level-1 nodes").isEqualTo(11);
        return c;
    }

    private PageTreeRoot ram(Repository r) {
        return r.readSnapshot(id).content().images().get("ram");
    }

    @Test
    void aLazyFetchBringsTheNodesAndTheFsckOfItsPromisedPagesIsClean() throws Exception {
        try (Repository c = lazyClone("c")) {
            PageTree t = c.pageTree(ram(c));
            assertThat(t.pageId(1).isZero()).isFalse();
            assertThat(t.pageId(0).isZero()).as("a zero page is known without a fetch").isTrue();
            assertThat(c.chunks().contains(t.pageId(1))).isFalse();
            FsckReport without = c.fsck();
            assertThat(without.ok()).as("no promisor: absent pages are missing").isFalse();

            c.setPromisor(promisor(bare));
            FsckReport lazy = c.fsck();
            assertThat(lazy.ok()).isTrue();
            assertThat(lazy.promised()).isEqualTo(400);
            assertThat(lazy.chunksVerified()).isEqualTo(11);
            assertThat(c.promisor().faulted().requests()).as("fsck asks no remote").isZero();
        }
    }

    @Test
    void aFaultBringsThePageAndItsReadAheadVerifiedAndTheNextWriteStoresThem() throws Exception {
        try (Repository c = lazyClone("c")) {
            c.setPromisor(promisor(bare));
            PageTree t = c.pageTree(ram(c));
            assertThat(t.page(1)).isEqualTo(pages[1]);
            Promisor.Faulted f = c.promisor().faulted();
            assertThat(f.requests()).isEqualTo(1);
            assertThat(f.chunks()).as("page 1 and the next 15 non-zero pages").isEqualTo(Promisor.READ_AHEAD_CHUNKS);
            assertThat(f.bytes()).isPositive();
            for (int i = 2; i < 24; i++) {
                assertThat(t.page(i)).as("page %d", i).isEqualTo(pages[i]);   // 2..23 came with page 1
            }
            assertThat(t.page(0)).isNull();
            assertThat(c.promisor().faulted().requests()).isEqualTo(1);
            try (WriteTransaction tx = c.beginWrite()) {
                tx.flush();
            }
            assertThat(c.chunks().locate(t.pageId(1))).as("stored in a pack by the next flush").isNotNull();
            assertThat(c.fsck().promised()).isEqualTo(400 - Promisor.READ_AHEAD_CHUNKS);
        }
        try (Repository again = Repository.open(dir.resolve("c"))) {
            assertThat(again.pageTree(ram(again)).page(1)).as("kept without any promisor").isEqualTo(pages[1]);
        }
    }

    @Test
    void whatArrivedIsStoredWhenTheRepositoryClosesWithNoWriteAfterIt() throws Exception {
        try (Repository c = lazyClone("c")) {
            c.setPromisor(promisor(bare));
            c.pageTree(ram(c)).page(301);
        }
        try (Repository again = Repository.open(dir.resolve("c"))) {
            assertThat(again.pageTree(ram(again)).page(301)).isEqualTo(pages[301]);
        }
    }

    @Test
    void aForgedRecordOnTheRemoteIsRefusedAndNothingOfItIsKept() throws Exception {
        try (Repository c = lazyClone("c")) {
            ChunkId victim = c.pageTree(ram(c)).pageId(4);
            try (Repository remote = Repository.openStore(bare)) {
                ChunkStore.Location loc = remote.chunks().locate(victim);
                flipByte(remote.chunks().packPath(loc.pack().name()), loc.offset() + 100);
            }
            c.setPromisor(promisor(bare));
            PageTree t = c.pageTree(ram(c));
            assertThatThrownBy(() -> t.page(4)).isInstanceOf(ChunkUnavailableException.class)
                    .hasMessageContaining("remote origin").hasMessageContaining("damaged or forged")
                    .hasMessageContaining(victim.hex());
            assertThat(c.chunks().contains(victim)).isFalse();
            assertThat(c.promisor().faulted().chunks()).as("not even the good records of that request").isZero();
            assertThat(t.page(301)).as("a request without it works").isEqualTo(pages[301]);
            assertThat(c.fsck().ok()).as("the remote's damage is not this repository's").isTrue();
        }
    }

    @Test
    void aRemoteThatIsGoneIsUnavailableAndOnceBackItServesAgain() throws Exception {
        try (Repository c = lazyClone("c")) {
            c.setPromisor(promisor(bare));
            PageTree t = c.pageTree(ram(c));
            assertThat(t.page(1)).isEqualTo(pages[1]);
            Path away = dir.resolve("remote-away");
            Files.move(bare, away);
            assertThatThrownBy(() -> t.page(301)).isInstanceOf(ChunkUnavailableException.class)
                    .hasMessageContaining("promised by remote origin").hasMessageNotContaining("\n");
            assertThat(t.page(2)).as("what arrived before stays").isEqualTo(pages[2]);
            Files.move(away, bare);
            assertThat(t.page(301)).isEqualTo(pages[301]);
        }
    }

    @Test
    void fsckStillReportsADamagedLocalChunkOfALazyClone() throws Exception {
        try (Repository c = lazyClone("c")) {
            c.setPromisor(promisor(bare));
            ChunkStore.Location node = c.chunks().locate(ram(c).root());
            flipByte(c.chunks().packPath(node.pack().name()), node.offset() + 60);
            FsckReport r = c.fsck();
            assertThat(r.ok()).isFalse();
            assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p.object()).contains(ram(c).root().hex()));
        }
    }

    @Test
    void completionFetchesEveryPromisedChunkAndCountsWhatWasHere() throws Exception {
        try (Repository c = lazyClone("c")) {
            c.setPromisor(promisor(bare));
            c.pageTree(ram(c)).page(1);
            Transfer.Counters counters = new Transfer.Counters();
            Completion.Result r = Completion.complete(c, pathRemote(bare), counters, LOCK, m -> {});
            assertThat(r.reachable()).isEqualTo(411);
            assertThat(r.present()).as("nodes and what the fault brought").isEqualTo(11 + Promisor.READ_AHEAD_CHUNKS);
            assertThat(r.fetched()).isEqualTo(400 - Promisor.READ_AHEAD_CHUNKS);
            assertThat(r.bytes()).isPositive();
            FsckReport after = c.fsck();
            assertThat(after.ok()).isTrue();
            assertThat(after.promised()).isZero();
            assertThat(after.chunksVerified()).isEqualTo(411);
        }
        try (Repository full = Repository.open(dir.resolve("c"))) {
            assertThat(full.fsck().ok()).as("complete without a promisor").isTrue();
        }
    }

    @Test
    void aLazyClonePushesWhatItLacksByFetchingItFromItsPromisorFirst() throws Exception {
        Path other = dir.resolve("other");
        RemoteLayout.createBare(new LocalFiles(other));
        try (Repository c = lazyClone("c")) {
            c.setPromisor(promisor(bare));
            try (WriteTransaction tx = c.beginWrite()) {
                assertThat(tx.updateRef("refs/heads/main", null, id, "branch").ok()).isTrue();
            }
            Transfer.Result r = Transfer.push(c, pathRemote(other), Map.of("refs/heads/main", "refs/heads/main"), false,
                    new Transfer.Counters(), LOCK, m -> {});
            assertThat(r.chunks()).isEqualTo(411);
            assertThat(c.promisor().faulted().chunks()).isEqualTo(400);
        }
        try (Repository o = Repository.openStore(other)) {
            assertThat(o.fsck().ok()).isTrue();
            assertThat(o.pageTree(ram(o)).page(301)).isEqualTo(pages[301]);
        }
    }

    private static void flipByte(Path file, long offset) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int v = f.read();
            f.seek(offset);
            f.write(v ^ 0x10);
        }
    }
}
