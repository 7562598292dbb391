package dev.vmtree.cow.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.PagedImage;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PersistentImage#capture} then {@link PersistentImage.Staging#write}: the write stores the
 * image exactly as it was at the capture, whatever the writer did to it since, and may run on
 * another thread while the writer goes on.
 */
class PersistentImageCaptureTest {

    private static final int PAGE = 4096;
    private static final int PAGES = 256;

    @TempDir
    Path dir;
    Repository repo;
    ExecutorService other;

    @BeforeEach
    void open() {
        repo = Repository.init(dir);
        other = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void close() throws InterruptedException {
        other.shutdownNow();
        other.awaitTermination(1, TimeUnit.MINUTES);
        repo.close();
    }

    private static void fillPage(PagedImage image, long index, int value) {
        byte[] b = new byte[PAGE];
        Arrays.fill(b, (byte) value);
        image.write(index * PAGE, b, 0, PAGE);
    }

    /** Runs {@code work} in a transaction of its own, begun and closed on the other thread. */
    private <T> CompletableFuture<T> onOtherThread(Function<WriteTransaction, T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try (WriteTransaction tx = repo.beginWrite()) {
                return work.apply(tx);
            }
        }, other);
    }

    private <T> T inTransaction(Function<WriteTransaction, T> work) {
        try (WriteTransaction tx = repo.beginWrite()) {
            return work.apply(tx);
        }
    }

    private List<Long> diff(PageTreeRoot a, PageTreeRoot b) {
        List<Long> out = new ArrayList<>();
        PageTree.diff(repo.chunks(), a, b, out::add);
        return out;
    }

    /** A copy of every page of {@code image} as it is now, taken on its writer thread. */
    private static byte[][] contents(PagedImage image) {
        byte[][] pages = new byte[(int) image.pageCount()][];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = image.pageForRead(i).clone();
        }
        return pages;
    }

    private static PageTreeRoot digest(byte[][] pages) {
        return PageTree.digest((long) pages.length * PAGE, PAGE, i -> pages[(int) i]);
    }

    private void assertStoredAs(PageTreeRoot root, byte[][] expected) {
        PageTree tree = repo.pageTree(root);
        for (int i = 0; i < expected.length; i++) {
            byte[] p = tree.page(i);
            assertThat(p == null ? new byte[PAGE] : p).as("page %d", i).isEqualTo(expected[i]);
        }
    }

    @Test
    void aWriteAfterTheImageChangedStoresTheImageAsCaptured() {
        PersistentImage p = PersistentImage.create((long) PAGES * PAGE, PAGE);
        fillPage(p.image(), 1, 1);
        PageTreeRoot base = inTransaction(tx -> p.persist(tx)).root();
        fillPage(p.image(), 2, 2);
        fillPage(p.image(), 3, 3);
        byte[][] atCapture = contents(p.image());

        PersistentImage.Staging s = p.capture();
        assertThat(s.pages()).isEqualTo(2);
        fillPage(p.image(), 2, 0x22);   // dirty at the capture and written again: the write must not see it
        fillPage(p.image(), 9, 9);      // written only after the capture
        PersistentImage.Persisted written = inTransaction(s::write);

        assertThat(written.pagesWritten()).isEqualTo(2);
        assertThat(written.root()).isEqualTo(digest(atCapture));
        assertThat(diff(base, written.root())).containsExactly(2L, 3L);
        assertStoredAs(written.root(), atCapture);

        p.confirm(written);
        assertThat(p.root()).isEqualTo(written.root());
        assertThat(p.image().dirtyPageCount()).as("pages written after the capture stay dirty").isEqualTo(2);
        PersistentImage.Persisted next = inTransaction(tx -> p.persist(tx));
        assertThat(diff(written.root(), next.root())).containsExactly(2L, 9L);
        assertThat(next.root()).isEqualTo(digest(contents(p.image())));
    }

    @Test
    void captureThenWriteStoresWhatStageWouldHaveStored() {
        PersistentImage a = PersistentImage.create((long) PAGES * PAGE, PAGE);
        PersistentImage b = PersistentImage.create((long) PAGES * PAGE, PAGE);
        for (PersistentImage p : List.of(a, b)) {
            fillPage(p.image(), 5, 5);
            inTransaction(tx -> p.persist(tx));
            fillPage(p.image(), 6, 6);
            fillPage(p.image(), 200, 7);
        }
        PersistentImage.Staging s = a.capture();
        fillPage(a.image(), 6, 0x66);
        PersistentImage.Persisted later = inTransaction(s::write);
        PersistentImage.Persisted now = inTransaction(b::stage);
        assertThat(later.root()).isEqualTo(now.root());
        assertThat(later.pagesWritten()).isEqualTo(now.pagesWritten()).isEqualTo(2);
    }

    @Test
    void anImageNeverPersistedIsWrittenWholeAsCaptured() {
        PagedImage image = new dev.vmtree.cow.InMemoryPagedImage((long) PAGES * PAGE, PAGE);
        fillPage(image, 0, 1);
        fillPage(image, 100, 2);
        PersistentImage p = PersistentImage.adopt(image);
        byte[][] atCapture = contents(image);
        PersistentImage.Staging s = p.capture();
        fillPage(image, 100, 3);
        fillPage(image, 101, 4);
        PersistentImage.Persisted written = inTransaction(s::write);
        assertThat(written.root()).isEqualTo(digest(atCapture));
        p.confirm(written);
        assertThat(p.image().dirtyPageCount()).isEqualTo(2);
    }

    @Test
    void confirmingAnOlderCaptureAfterANewerOneChangesNothing() {
        PersistentImage p = PersistentImage.create((long) PAGES * PAGE, PAGE);
        fillPage(p.image(), 1, 1);
        PersistentImage.Staging older = p.capture();
        fillPage(p.image(), 2, 2);
        PersistentImage.Staging newer = p.capture();
        fillPage(p.image(), 3, 3);
        PersistentImage.Persisted o = inTransaction(older::write);
        PersistentImage.Persisted n = inTransaction(newer::write);

        p.confirm(n);
        p.confirm(o);   // late: must not take the image back to a root without page 2
        assertThat(p.root()).isEqualTo(n.root());
        assertThat(p.image().dirtyPageCount()).isEqualTo(1);
        PersistentImage.Persisted next = inTransaction(tx -> p.persist(tx));
        assertThat(diff(n.root(), next.root())).containsExactly(3L);
        assertThat(next.root()).isEqualTo(digest(contents(p.image())));
    }

    /**
     * The write runs on another thread while the writer keeps writing pages, including the ones
     * dirty at the capture, and keeps faulting pages in from the store (for RAM they are then
     * cached in the live table; a pass-through disk reads them on every access).
     */
    @Test
    void aWriteOnAnotherThreadWhileTheWriterGoesOnStoresTheCapturedImage() throws Exception {
        SplittableRandom rnd = new SplittableRandom(11);
        PersistentImage seed = PersistentImage.create((long) PAGES * PAGE, PAGE);
        for (int i = 0; i < PAGES; i += 3) {
            fillPage(seed.image(), i, rnd.nextInt(1, 256));
        }
        byte[][] seeded = contents(seed.image());
        PageTreeRoot stored = inTransaction(tx -> seed.persist(tx)).root();

        for (boolean disk : new boolean[] {false, true}) {
            PersistentImage p = disk ? PersistentImage.openDisk(repo, stored) : PersistentImage.open(repo, stored);
            // the expected contents, kept aside so that taking them faults nothing into the image
            byte[][] model = new byte[PAGES][];
            for (int i = 0; i < PAGES; i++) {
                model[i] = seeded[i].clone();
            }
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 40; i++) {
                    int page = rnd.nextInt(PAGES);
                    int value = rnd.nextInt(256);
                    fillPage(p.image(), page, value);
                    Arrays.fill(model[page], (byte) value);
                }
                byte[][] atCapture = new byte[PAGES][];
                for (int i = 0; i < PAGES; i++) {
                    atCapture[i] = model[i].clone();
                }
                PersistentImage.Staging s = p.capture();
                CompletableFuture<PersistentImage.Persisted> write = onOtherThread(s::write);
                int rewrites = 0;
                byte[] sink = new byte[PAGE];
                do {
                    int read = rnd.nextInt(PAGES);
                    p.image().read((long) read * PAGE, sink, 0, PAGE);     // faults unwritten pages in
                    assertThat(sink).isEqualTo(model[read]);
                    int page = rnd.nextInt(PAGES);
                    int value = rnd.nextInt(256);
                    fillPage(p.image(), page, value);
                    Arrays.fill(model[page], (byte) value);
                    rewrites++;
                } while (!write.isDone() || rewrites < 200);
                PersistentImage.Persisted written = write.get(1, TimeUnit.MINUTES);
                assertThat(written.root()).as(disk ? "disk" : "ram").isEqualTo(digest(atCapture));
                assertStoredAs(written.root(), atCapture);
                p.confirm(written);
                assertThat(inTransaction(tx -> p.persist(tx)).root()).isEqualTo(digest(model));
            }
        }
    }
}
