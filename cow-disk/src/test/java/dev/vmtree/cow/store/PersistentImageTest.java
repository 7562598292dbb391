package dev.vmtree.cow.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.PagedImage;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistentImageTest {

    private static final int PAGE = 4096;
    private static final int PAGES = 300;

    @TempDir
    Path dir;
    Repository repo;
    WriteTransaction tx;

    @BeforeEach
    void open() {
        repo = Repository.init(dir);
        tx = repo.beginWrite();
    }

    @AfterEach
    void close() {
        tx.close();
        repo.close();
    }

    private static void fillPage(PagedImage image, long index, int value) {
        byte[] b = new byte[PAGE];
        Arrays.fill(b, (byte) value);
        image.write(index * PAGE, b, 0, PAGE);
    }

    private List<Long> diff(PageTreeRoot a, PageTreeRoot b) {
        List<Long> out = new ArrayList<>();
        PageTree.diff(repo.chunks(), a, b, out::add);
        return out;
    }

    @Test
    void persistWritesExactlyTheDirtyPagesEvenAcrossDebugFreezes() {
        PersistentImage p = PersistentImage.create((long) PAGES * PAGE, PAGE);
        fillPage(p.image(), 3, 1);
        fillPage(p.image(), 200, 2);
        PersistentImage.Persisted first = p.persist(tx);
        assertThat(first.pagesWritten()).isEqualTo(2);
        assertThat(diff(PageTreeRoot.empty((long) PAGES * PAGE, PAGE), first.root())).containsExactly(3L, 200L);
        assertThat(p.image().dirtyPageCount()).isZero();

        fillPage(p.image(), 200, 5);
        p.image().freeze(); // a debugging checkpoint must not hide page 200 from the next persist
        fillPage(p.image(), 299, 6);
        PersistentImage.Persisted second = p.persist(tx);
        assertThat(second.pagesWritten()).isEqualTo(2);
        assertThat(diff(first.root(), second.root())).containsExactly(200L, 299L);
        assertThat(p.root()).isEqualTo(second.root());

        PersistentImage.Persisted third = p.persist(tx); // nothing written since
        assertThat(third.pagesWritten()).isZero();
        assertThat(third.root()).isEqualTo(second.root());
    }

    @Test
    void aLazilyOpenedImageReadsBackIdentically() {
        Random rnd = new Random(7);
        PersistentImage p = PersistentImage.create((long) PAGES * PAGE, PAGE);
        byte[] model = new byte[PAGES * PAGE];
        for (int i = 0; i < 500; i++) {
            int off = rnd.nextInt(model.length - 5000);
            byte[] data = new byte[rnd.nextInt(5000)];
            rnd.nextBytes(data);
            p.image().write(off, data, 0, data.length);
            System.arraycopy(data, 0, model, off, data.length);
            if (i % 100 == 99) {
                p.persist(tx);
            }
        }
        PageTreeRoot root = p.persist(tx).root();
        PersistentImage reopened = PersistentImage.open(repo, root);
        byte[] back = new byte[model.length];
        reopened.image().read(0, back, 0, back.length);
        assertThat(Arrays.mismatch(back, model)).isEqualTo(-1);
        assertThat(reopened.image().dirtyPageCount()).isZero();

        PersistentImage disk = PersistentImage.openDisk(repo, root);
        Arrays.fill(back, (byte) 0);
        for (int off = 0; off < back.length; off += 10_000) {
            disk.image().read(off, back, off, Math.min(10_000, back.length - off));
        }
        assertThat(Arrays.mismatch(back, model)).isEqualTo(-1);
        assertThat(disk.faults()).as("pass-through pages are faulted per access, read ahead once").isGreaterThanOrEqualTo(PAGES);
    }

    @Test
    void aCloneOfASnapshotFaultsEachPageInOnFirstTouchOnly() {
        PersistentImage p = PersistentImage.create((long) PAGES * PAGE, PAGE);
        for (int i = 0; i < PAGES; i += 2) {
            fillPage(p.image(), i, i + 1);
        }
        PageTreeRoot root = p.persist(tx).root();

        PersistentImage clone = PersistentImage.open(repo, root);
        assertThat(clone.faults()).isZero();
        assertThat(clone.image().load(10L * PAGE, 1)).isEqualTo(11);
        assertThat(clone.image().load(10L * PAGE + 7, 1)).isEqualTo(11);
        assertThat(clone.faults()).isEqualTo(1);
        clone.image().store(20L * PAGE, 1, 0x7f);
        assertThat(clone.faults()).isEqualTo(2);
        assertThat(clone.image().load(20L * PAGE + 1, 1)).isEqualTo(21);
        assertThat(clone.image().load(21L * PAGE, 8)).isZero(); // a zero page: asked once, remembered
        assertThat(clone.image().load(21L * PAGE + 8, 8)).isZero();
        assertThat(clone.faults()).isEqualTo(3);

        PersistentImage.Persisted next = clone.persist(tx);
        assertThat(next.pagesWritten()).isEqualTo(1);
        assertThat(diff(root, next.root())).containsExactly(20L);
    }

    @Test
    void aDiskOpenedFromTheStoreKeepsOnlyWrittenBlocksInTheHeapAndPersistsThem() {
        VirtualDisk original = VirtualDisk.blank(8L * VirtualDisk.BLOCK_SIZE);
        original.write(3L * VirtualDisk.BLOCK_SIZE, new byte[] {1, 2, 3}, 0, 3);
        PageTreeRoot root = PersistentImage.adopt(original.image()).persist(tx).root();

        PersistentImage opened = PersistentImage.openDisk(repo, root);
        VirtualDisk disk = new VirtualDisk(opened.image(), original.size());
        byte[] b = new byte[3];
        disk.read(3L * VirtualDisk.BLOCK_SIZE, b, 0, 3);
        disk.read(3L * VirtualDisk.BLOCK_SIZE, b, 0, 3);
        assertThat(b).containsExactly(1, 2, 3);
        assertThat(opened.faults()).isEqualTo(1); // the read-ahead source remembers the last block
        disk.read(6L * VirtualDisk.BLOCK_SIZE, b, 0, 3);
        disk.read(3L * VirtualDisk.BLOCK_SIZE, b, 0, 3);
        assertThat(opened.faults()).as("unwritten blocks are not kept in the heap: block 3 is read again").isEqualTo(3);

        disk.write(5L * VirtualDisk.BLOCK_SIZE, new byte[] {9}, 0, 1);
        assertThat(opened.image().pageForRead(5)).isSameAs(opened.image().pageForRead(5)); // written: owned
        PersistentImage.Persisted next = opened.persist(tx);
        assertThat(next.pagesWritten()).isEqualTo(1);
        assertThat(diff(root, next.root())).containsExactly(5L);
    }

    @Test
    void identicalContentsGiveIdenticalRootsWhateverTheWriteHistory() {
        PersistentImage a = PersistentImage.create((long) PAGES * PAGE, PAGE);
        PersistentImage b = PersistentImage.create((long) PAGES * PAGE, PAGE);
        fillPage(a.image(), 1, 1);
        a.persist(tx);
        fillPage(a.image(), 250, 2);
        fillPage(b.image(), 250, 9);
        fillPage(b.image(), 250, 2);
        fillPage(b.image(), 1, 1);
        assertThat(a.persist(tx).root()).isEqualTo(b.persist(tx).root());
    }

    @Test
    void aStoredDiskServesAsAReadOnlySnapshotAndABaseForOverlays() {
        VirtualDisk disk = VirtualDisk.blank(3L * VirtualDisk.BLOCK_SIZE + 512);
        disk.write(VirtualDisk.BLOCK_SIZE + 3, new byte[] {4, 5, 6}, 0, 3);
        PersistentImage adopted = PersistentImage.adopt(disk.image());
        PageTreeRoot root = adopted.persist(tx).root();
        assertThat(root.pageSize()).isEqualTo(VirtualDisk.BLOCK_SIZE);

        DiskSnapshot snap = new DiskSnapshot(new StoredImage(repo.pageTree(root)), disk.size());
        byte[] b = new byte[3];
        snap.read(VirtualDisk.BLOCK_SIZE + 3, b, 0, 3);
        assertThat(b).containsExactly(4, 5, 6);
        VirtualDisk overlay = snap.overlay();
        overlay.write(0, new byte[] {1}, 0, 1);
        assertThat(overlay.image().dirtyPageCount()).isEqualTo(1);
        StoredImage stored = (StoredImage) snap.blocks();
        long before = stored.faults();
        assertThat(snap.allocatedBlocks()).isEqualTo(1);
        assertThat(stored.faults()).as("counting allocated blocks reads no page").isEqualTo(before);
    }
}
