package dev.vmtree.cow.imageio;

import static dev.vmtree.cow.QemuTools.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.cow.QemuTools;
import dev.vmtree.cow.disk.DiskImageException;
import dev.vmtree.cow.qcow2.Qcow2Header;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed and hostile images: every one is a DiskImageException with a message naming the problem. */
class HostileImageTest {

    @TempDir
    Path dir;
    Path img;
    Qcow2Header header;

    @BeforeEach
    void validImage() throws Exception {
        QemuTools.require("qemu-img");
        QemuTools.require("qemu-io");
        img = dir.resolve("h.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "8M");
        ok("qemu-io", "-f", "qcow2", "-c", "write -P 0xab 0 256k", img.toString());
        try (FileChannel ch = FileChannel.open(img)) {
            header = Qcow2Header.read(ch, "h.qcow2");
        }
    }

    private void patch(long offset, ByteBuffer bytes) throws IOException {
        bytes.position(bytes.capacity()).flip();
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
            ch.write(bytes, offset);
        }
    }

    private void patchInt(long offset, int value) throws IOException {
        patch(offset, ByteBuffer.allocate(4).putInt(value));
    }

    private void patchLong(long offset, long value) throws IOException {
        patch(offset, ByteBuffer.allocate(8).putLong(value));
    }

    private long readLong(long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        try (FileChannel ch = FileChannel.open(img)) {
            ch.read(b, offset);
        }
        return b.getLong(0);
    }

    private long l2Offset() throws IOException {
        return readLong(header.l1TableOffset()) & 0x00FF_FFFF_FFFF_FE00L;
    }

    private void assertRejected(String message) {
        assertThatThrownBy(() -> DiskImages.importImage(img))
                .isInstanceOf(DiskImageException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest(name = "header field at {0} = {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "4   | 4          | unsupported qcow2 version 4",
        "4   | 1          | unsupported qcow2 version 1",
        "20  | 30         | cluster_bits 30 outside 9..21",
        "32  | 1          | encrypted qcow2 images are not supported",
        "36  | 2147483647 | exceeds the 33554432-byte limit",
        "36  | 0          | L1 table has 0 entries but the disk needs 1",
        "56  | 100000     | refcount table of 100000 clusters exceeds",
        "56  | 0          | refcount table is empty",
        "96  | 7          | refcount_order 7 outside 0..6",
        "100 | 12         | header_length 12 is invalid",
    })
    void rejectsBadHeaderFields(long offset, long value, String message) throws Exception {
        patchInt(offset, (int) value);
        assertRejected(message);
    }

    @Test
    void badMagicIsRawToDetectionAndAnErrorWhenQcow2IsNamed() throws Exception {
        patchInt(0, 0x12345678);
        assertThat(DiskFormat.detect(img)).isEqualTo(DiskFormat.RAW);
        assertThatThrownBy(() -> DiskImages.importImage(img, DiskFormat.QCOW2, ImportOptions.DEFAULTS))
                .isInstanceOf(DiskImageException.class)
                .hasMessage("h.qcow2: bad magic 0x12345678, not a qcow2 image");
    }

    @Test
    void rejectsAbsurdVirtualSize() throws Exception {
        patchLong(24, 1L << 60);
        assertRejected("exceeds the supported maximum");
    }

    @Test
    void rejectsTablesPastTheEndOfTheFile() throws Exception {
        patchLong(40, 1L << 40);
        assertRejected("L1 table at 0x10000000000");
        validImage();
        patchLong(48, 1L << 40);
        assertRejected("refcount table at 0x10000000000 (65536 bytes) lies past the end of the file");
        validImage();
        patchLong(40, header.l1TableOffset() + 8);
        assertRejected("L1 table offset 0x");
    }

    @Test
    void rejectsOverlappingTables() throws Exception {
        patchLong(40, header.refcountTableOffset());
        assertRejected("overlaps the refcount table");
    }

    @Test
    void rejectsUnknownOrUnsupportedFeatures() throws Exception {
        patchLong(72, 1L << 40);
        assertRejected("unknown incompatible feature bits 0x10000000000");
        patchLong(72, 2);
        assertRejected("marked corrupt");
        patchLong(72, 4);
        assertRejected("external data files are not supported");
        patchLong(72, 16);
        assertRejected("extended L2 entries");
    }

    @Test
    void rejectsL1EntriesPastTheFileOrOnMetadata() throws Exception {
        patchLong(header.l1TableOffset(), (1L << 63) | (1L << 40));
        assertRejected("L2 table of L1 entry 0 at 0x10000000000 lies past the end of the file");
        patchLong(header.l1TableOffset(), (1L << 63) | header.refcountTableOffset());
        assertRejected("L2 table at 0x" + Long.toHexString(header.refcountTableOffset()) + " overlaps other metadata");
        patchLong(header.l1TableOffset(), 0x8000_0000_0000_0001L);
        assertRejected("L1 entry 0 has reserved bits set");
    }

    @Test
    void rejectsL2EntriesPastTheFileUnalignedOrOnMetadata() throws Exception {
        long l2 = l2Offset();
        patchLong(l2 + 8, (1L << 63) | (1L << 44));
        assertRejected("data cluster for guest offset 0x10000 at 0x100000000000 lies past the end of the file");
        patchLong(l2 + 8, (1L << 63) | (l2 + 512));
        assertRejected("is not cluster aligned");
        patchLong(l2 + 8, (1L << 63) | header.l1TableOffset());
        assertRejected("overlaps metadata");
        patchLong(l2 + 8, (1L << 63) | (1L << 59) | 0x50000);
        assertRejected("has reserved bits set");
        patchLong(l2 + 8, readLong(l2)); // two guest clusters, one host cluster: an amplification attack
        assertRejected("is mapped by two guest clusters");
    }

    @Test
    void rejectsCompressedClustersPastTheFileOrNotDeflate() throws Exception {
        long l2 = l2Offset();
        int offsetBits = 62 - (header.clusterBits() - 8);
        patchLong(l2, (1L << 62) | (1L << 40));
        assertRejected("compressed cluster for guest offset 0x0 at 0x10000000000 lies past the end of the file");
        long data = readLong(l2 + 8) & 0x00FF_FFFF_FFFF_FE00L; // a data cluster full of 0xab: not deflate
        patchLong(l2, (1L << 62) | (3L << offsetBits) | data);
        assertRejected("compressed cluster for guest offset 0x0 inflates to 2047 bytes, not 65536");
    }

    @Test
    void rejectsClustersInUseWithRefcountZero() throws Exception {
        long block = readLong(header.refcountTableOffset());
        patch(block, ByteBuffer.allocate(header.clusterSize()));
        assertRejected("is in use but its refcount is 0");
        validImage();
        patchLong(header.refcountTableOffset(), 1L << 40);
        assertRejected("refcount block 0 at 0x10000000000 is unaligned or past the end of the file");
    }

    @Test
    void rejectsATruncatedFile() throws Exception {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
            ch.truncate(60);
        }
        assertRejected("too short for a qcow2 header");
    }

    @Test
    void backingFilesMayNotBeAbsoluteOrClimbOutOfTheDirectory() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Path base = dir.resolve("base.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "8M");
        img = sub.resolve("top.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", img.toString());
        assertRejected("top.qcow2: backing file '" + base + "' is absolute or a URL; pass it explicitly");
        assertThat(DiskImages.importImage(img, ImportOptions.DEFAULTS.withBackingFile(base.toString(), base)).size())
                .isEqualTo(8 << 20);

        ok("qemu-img", "rebase", "-u", "-b", "../base.qcow2", "-F", "qcow2", img.toString());
        assertRejected("contains '..'");

        Files.createSymbolicLink(sub.resolve("link.qcow2"), base);
        ok("qemu-img", "rebase", "-u", "-b", "link.qcow2", "-F", "qcow2", img.toString());
        assertRejected("resolves outside the image's directory");

        ok("qemu-img", "rebase", "-u", "-b", "missing.qcow2", "-F", "qcow2", img.toString());
        assertRejected("backing file 'missing.qcow2' does not exist");

        ok("qemu-img", "rebase", "-u", "-b", "nbd://127.0.0.1:1/x", "-F", "qcow2", img.toString());
        assertRejected("is absolute or a URL");

        ok("qemu-img", "rebase", "-u", "-b", "x.img", "-F", "vmdk", img.toString());
        Files.write(sub.resolve("x.img"), new byte[512]);
        assertRejected("unsupported disk image format 'vmdk'");
    }

    @Test
    void aBackingFileNameBeyondTheFirstFourKilobytesOfTheHeaderClusterIsFound() throws Exception {
        Path base = dir.resolve("far-base.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "1M");
        ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x3c 0 64k", base.toString());
        img = dir.resolve("far.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "far-base.qcow2", "-F", "qcow2", img.toString());
        byte[] name = "far-base.qcow2".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        patch(0x3000, ByteBuffer.allocate(name.length).put(name));
        patchLong(8, 0x3000);
        byte[] b = new byte[4];
        DiskImages.importImage(img).read(100, b, 0, 4);
        assertThat(b).containsOnly(0x3c);
    }

    @Test
    void backingChainsMayNotCycleOrRunTooDeep() throws Exception {
        Path a = dir.resolve("a.qcow2");
        Path b = dir.resolve("b.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", a.toString(), "1M");
        ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", b.toString());
        ok("qemu-img", "rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", a.toString());
        img = b;
        assertRejected("backing chain forms a cycle");

        ok("qemu-img", "create", "-q", "-f", "qcow2", dir.resolve("c0.qcow2").toString(), "1M");
        int depth = ImportOptions.DEFAULT_MAX_CHAIN_DEPTH + 1;
        for (int i = 1; i <= depth; i++) {
            ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "c" + (i - 1) + ".qcow2", "-F", "qcow2",
                    dir.resolve("c" + i + ".qcow2").toString());
        }
        img = dir.resolve("c" + depth + ".qcow2");
        assertRejected("backing chain is deeper than 16 files");
        assertThat(DiskImages.importImage(img, new ImportOptions(java.util.Map.of(), depth)).size()).isEqualTo(1 << 20);
    }

    /** Random byte flips in the metadata: each import either succeeds or fails with a DiskImageException. */
    @Test
    void randomCorruptionOfMetadataNeverEscapesAsAnotherException() throws Exception {
        byte[] pristine = Files.readAllBytes(img);
        long[] regions = {0, header.l1TableOffset(), header.refcountTableOffset(), l2Offset()};
        Random rnd = new Random(42);
        int rejected = 0;
        for (int round = 0; round < 300; round++) {
            byte[] bytes = pristine.clone();
            for (int flips = 1 + rnd.nextInt(4); flips > 0; flips--) {
                long base = regions[rnd.nextInt(regions.length)];
                int at = (int) base + rnd.nextInt(base == 0 ? 120 : 64);
                bytes[at] ^= (byte) (1 << rnd.nextInt(8));
            }
            Files.write(img, bytes);
            try {
                DiskImages.importImage(img);
            } catch (DiskImageException e) {
                rejected++;
                assertThat(e.getMessage()).doesNotContain("\n");
            }
        }
        assertThat(rejected).isPositive();
    }
}
