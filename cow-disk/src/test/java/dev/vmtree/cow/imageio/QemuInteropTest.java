package dev.vmtree.cow.imageio;

import static dev.vmtree.cow.QemuTools.assertCheckClean;
import static dev.vmtree.cow.QemuTools.assertIdentical;
import static dev.vmtree.cow.QemuTools.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.QemuTools;
import dev.vmtree.cow.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Round trips against the real qemu-img and qemu-io: what QEMU writes we import, what we write QEMU accepts. */
class QemuInteropTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        QemuTools.require("qemu-img");
        QemuTools.require("qemu-io");
    }

    private Path qcow2(String name, String compat, long size, String... writes) throws Exception {
        Path p = dir.resolve(name);
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=" + compat, p.toString(), Long.toString(size));
        for (String w : writes) {
            ok("qemu-io", "-f", "qcow2", "-c", w, p.toString());
        }
        return p;
    }

    /** Exports to raw and qcow2 and has qemu-img compare both against the original, and check the qcow2. */
    private void assertRoundTrip(VirtualDisk disk, Path original, String format) throws Exception {
        Path raw = dir.resolve(original.getFileName() + ".out.raw");
        Path q = dir.resolve(original.getFileName() + ".out.qcow2");
        DiskImages.export(disk.snapshot(), DiskFormat.RAW, raw);
        DiskImages.export(disk.snapshot(), DiskFormat.QCOW2, q);
        assertIdentical(original, format, raw, "raw");
        assertIdentical(original, format, q, "qcow2");
        assertCheckClean(q);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.1", "0.10"})
    void importsQcow2WrittenByQemuAndExportsIdenticalImages(String compat) throws Exception {
        Path img = qcow2("a.qcow2", compat, 8 * MIB,
                "write -P 0xab 0 1M", "write -P 0xcd 3M 64k", "write -P 0x11 7340032 512", "write -z 5M 128k");
        VirtualDisk disk = DiskImages.importImage(img);
        assertThat(disk.size()).isEqualTo(8 * MIB);
        byte[] b = new byte[4];
        disk.read(MIB - 4, b, 0, 4);
        assertThat(b).containsOnly(0xab - 256);
        disk.read(3 * MIB + 65532, b, 0, 4);
        assertThat(b).containsOnly(0xcd - 256);
        assertThat(disk.snapshot().allocatedBlocks()).isEqualTo(16 + 1 + 1);
        assertRoundTrip(disk, img, "qcow2");
    }

    @Test
    void followsABackingFileAndReadsItsUnallocatedClustersThroughIt() throws Exception {
        Path base = qcow2("base.qcow2", "1.1", 4 * MIB, "write -P 0x01 0 4M");
        Path top = dir.resolve("top.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top.toString());
        ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x02 1M 64k", top.toString());
        ok("qemu-io", "-f", "qcow2", "-c", "write -z 2M 64k", top.toString()); // zero cluster hides base data
        VirtualDisk disk = DiskImages.importImage(top);
        assertThat(disk.image().dirtyPageCount()).as("blocks held in the heap").isZero();
        byte[] b = new byte[8];
        disk.read(MIB, b, 0, 8);
        assertThat(b).containsOnly(2);
        disk.read(2 * MIB, b, 0, 8);
        assertThat(b).containsOnly(0);
        disk.read(3 * MIB, b, 0, 8);
        assertThat(b).containsOnly(1);
        assertRoundTrip(disk, top, "qcow2");
    }

    @Test
    void backingFileSmallerThanTheOverlayReadsZeroBeyondIt() throws Exception {
        Path base = dir.resolve("small.raw");
        byte[] data = new byte[3 * 65536 + 512];
        Arrays.fill(data, (byte) 7);
        Files.write(base, data);
        Path top = dir.resolve("big.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "small.raw", "-F", "raw", top.toString(), "1M");
        VirtualDisk disk = DiskImages.importImage(top);
        assertRoundTrip(disk, top, "qcow2");
    }

    @Test
    void importsCompressedClusters() throws Exception {
        Path src = qcow2("src.qcow2", "1.1", 4 * MIB, "write -P 0x5a 0 2M", "write -P 0x33 3M 4k");
        Path comp = dir.resolve("comp.qcow2");
        ok("qemu-img", "convert", "-c", "-f", "qcow2", "-O", "qcow2", src.toString(), comp.toString());
        // The human-readable map refuses compressed clusters: proof that the image really has some.
        assertThat(QemuTools.run("qemu-img", "map", comp.toString()).err()).contains("compressed clusters");
        assertThat(Files.size(comp)).isLessThan(MIB);
        VirtualDisk disk = DiskImages.importImage(comp);
        assertRoundTrip(disk, comp, "qcow2");
    }

    /**
     * An import streams (issue 12): it keeps no block of the image in the heap, where it once
     * decoded all of it — 1 GiB for an 11 MB compressed file. Counted in blocks held, not bytes of heap.
     */
    @Test
    void aCompressedImageIsNotInflatedIntoTheHeapAtImport() throws Exception {
        Path src = qcow2("full.qcow2", "1.1", 64 * MIB, "write -P 0x5a 0 64M");
        Path comp = dir.resolve("full-c.qcow2");
        ok("qemu-img", "convert", "-c", "-f", "qcow2", "-O", "qcow2", src.toString(), comp.toString());
        assertThat(Files.size(comp)).isLessThan(2 * MIB);
        VirtualDisk disk = DiskImages.importImage(comp);
        assertThat(disk.image().dirtyPageCount()).as("blocks held in the heap").isZero();
        assertThat(disk.snapshot().allocatedBlocks()).isEqualTo(64 * MIB / VirtualDisk.BLOCK_SIZE);
        assertThat(disk.image().dirtyPageCount()).as("reading does not keep blocks either").isZero();
        byte[] b = new byte[4];
        disk.read(64 * MIB - 4, b, 0, 4);
        assertThat(b).containsOnly(0x5a);
        Path raw = dir.resolve("big.raw");
        ok("qemu-img", "convert", "-f", "qcow2", "-O", "raw", comp.toString(), raw.toString());
        assertThat(DiskImages.importImage(raw).image().dirtyPageCount()).as("raw imports stream too").isZero();
    }

    @Test
    void anImageFileChangedAfterItsImportIsRefusedWhenRead() throws Exception {
        Path raw = dir.resolve("moving.raw");
        byte[] data = new byte[256 * 1024];
        Arrays.fill(data, (byte) 1);
        Files.write(raw, data);
        VirtualDisk disk = DiskImages.importImage(raw);
        Files.write(raw, new byte[128 * 1024]);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> disk.read(0, new byte[8], 0, 8))
                .isInstanceOf(dev.vmtree.cow.PageFaultException.class)
                .hasMessageContaining("moving.raw: the image file changed after it was imported");
    }

    @ParameterizedTest
    @ValueSource(strings = {"512", "4096", "2M"})
    void importsOtherClusterSizes(String clusterSize) throws Exception {
        Path p = dir.resolve("cs.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=" + clusterSize, p.toString(), "6M");
        ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x42 100k 1500k", p.toString());
        ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x43 5M 512", p.toString());
        assertRoundTrip(DiskImages.importImage(p), p, "qcow2");
    }

    @Test
    void rawImportAndExportStaySparse() throws Exception {
        Path raw = dir.resolve("disk.raw");
        ok("qemu-img", "create", "-q", "-f", "raw", raw.toString(), "1G");
        ok("qemu-io", "-f", "raw", "-c", "write -P 0x77 512M 1M", raw.toString());
        VirtualDisk disk = DiskImages.importImage(raw);
        assertThat(disk.snapshot().allocatedBlocks()).isEqualTo(16);
        assertRoundTrip(disk, raw, "raw");
        Path outRaw = dir.resolve("disk.raw.out.raw");
        long allocated = Long.parseLong(ok("stat", "-c", "%b", outRaw.toString()).out().trim()) * 512;
        assertThat(allocated).as("bytes allocated to the exported raw file").isLessThan(4 * MIB);
        Path outQcow2 = dir.resolve("disk.raw.out.qcow2");
        assertThat(Files.size(outQcow2)).as("exported qcow2 file size").isLessThan(2 * MIB);
        String map = ok("qemu-img", "map", "--output=json", "-f", "qcow2", outQcow2.toString()).out();
        assertThat(map).contains("\"start\": 536870912, \"length\": 1048576, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true");
    }

    @Test
    void rawSizeNeedNotBeAMultipleOfTheBlockSize() throws Exception {
        Path raw = dir.resolve("odd.raw");
        byte[] data = new byte[100_000 * 5 + 12_288];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 251);
        }
        Files.write(raw, data);
        VirtualDisk disk = DiskImages.importImage(raw);
        assertThat(disk.size()).isEqualTo(data.length);
        Path out = dir.resolve("odd.out.raw");
        DiskImages.export(disk.snapshot(), DiskFormat.RAW, out);
        assertThat(Files.readAllBytes(out)).isEqualTo(data);
    }

    @Test
    void exportedQcow2OfAnEmptyDiskIsValid() throws Exception {
        Path q = dir.resolve("empty.qcow2");
        DiskImages.export(VirtualDisk.blank(64 * MIB).snapshot(), DiskFormat.QCOW2, q);
        assertCheckClean(q);
        Path ref = dir.resolve("ref.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", ref.toString(), "64M");
        assertIdentical(ref, "qcow2", q, "qcow2");
        assertThat(DiskImages.importImage(q).snapshot().allocatedBlocks()).isZero();
    }

    @Test
    void detectsFormatsByMagic() throws IOException, Exception {
        Path q = qcow2("d.qcow2", "1.1", MIB);
        Path r = dir.resolve("d.raw");
        Files.write(r, new byte[4096]);
        assertThat(DiskFormat.detect(q)).isEqualTo(DiskFormat.QCOW2);
        assertThat(DiskFormat.detect(r)).isEqualTo(DiskFormat.RAW);
        Path vmdk = dir.resolve("d.vmdk");
        ok("qemu-img", "create", "-q", "-f", "vmdk", vmdk.toString(), "1M");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DiskImages.importImage(vmdk))
                .hasMessageContaining("vmdk images are not supported");
    }
}
