package dev.vmtree.cow.imageio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.disk.VirtualDisk;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Random disks (zero, full and partly written blocks, odd sizes) survive export and re-import in both formats. */
class ExportImportRoundTripTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6})
    void randomDisksRoundTripThroughRawAndQcow2(int seed) throws Exception {
        Random rnd = new Random(seed);
        long size = 512L * (1 + rnd.nextInt(4000)); // up to ~2 MiB, a multiple of 512 as qcow2 needs
        VirtualDisk disk = VirtualDisk.blank(size);
        byte[] model = new byte[(int) size];
        for (int i = rnd.nextInt(40); i > 0; i--) {
            int off = rnd.nextInt((int) size);
            byte[] data = new byte[Math.min(rnd.nextInt(100_000), (int) size - off)];
            if (rnd.nextInt(4) > 0) {
                rnd.nextBytes(data); // else: an explicit write of zeros, which must stay sparse
            }
            disk.write(off, data, 0, data.length);
            System.arraycopy(data, 0, model, off, data.length);
        }
        for (DiskFormat format : DiskFormat.values()) {
            Path out = dir.resolve("disk-" + seed + "." + format.qemuName());
            DiskImages.export(disk.snapshot(), format, out);
            assertThat(DiskFormat.detect(out)).isEqualTo(format);
            VirtualDisk back = DiskImages.importImage(out, format, ImportOptions.DEFAULTS);
            assertThat(back.size()).isEqualTo(size);
            byte[] got = new byte[(int) size];
            back.read(0, got, 0, got.length);
            assertThat(Arrays.mismatch(got, model)).as("%s: first difference", format).isEqualTo(-1);
            assertThat(back.snapshot().allocatedBlocks()).isEqualTo(disk.snapshot().allocatedBlocks());
        }
    }
}
