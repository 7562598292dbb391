package dev.vmtree.cow.nbd;

import static dev.vmtree.cow.QemuTools.ok;
import static dev.vmtree.cow.QemuTools.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.QemuTools;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.VirtualDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real qemu-img / qemu-io / qemu-nbd as NBD clients of vmtree's server. */
class NbdQemuTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        QemuTools.require("qemu-img");
        QemuTools.require("qemu-io");
    }

    private static DiskSnapshot patterned(long size) {
        VirtualDisk d = VirtualDisk.blank(size);
        byte[] block = new byte[VirtualDisk.BLOCK_SIZE];
        for (long off = 0; off < size / 2; off += block.length) {
            Arrays.fill(block, (byte) (off / block.length + 1));
            d.write(off, block, 0, block.length);
        }
        return d.snapshot();
    }

    @Test
    void qemuImgReadsAReadOnlySnapshotExportAndCannotWriteIt() throws Exception {
        DiskSnapshot snap = patterned(8 * MIB);
        try (NbdServer server = NbdServer.start(0, List.of(NbdExport.readOnly("snap", snap)))) {
            String url = "nbd://127.0.0.1:" + server.port() + "/snap";
            String info = ok("qemu-img", "info", "--output=json", url).out();
            assertThat(info).contains("\"virtual-size\": " + 8 * MIB);
            Path out = dir.resolve("out.raw");
            ok("qemu-img", "convert", "-f", "raw", "-O", "raw", url, out.toString());
            byte[] expected = new byte[(int) (8 * MIB)];
            snap.read(0, expected, 0, expected.length);
            assertThat(Arrays.mismatch(Files.readAllBytes(out), expected)).isEqualTo(-1);
            // The default export (empty name) is the first one.
            ok("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x01 0 64k", "-c", "read -P 0x40 4128768 64k",
                    "nbd://127.0.0.1:" + server.port());
            QemuTools.Result w = run("qemu-io", "-f", "raw", "-c", "write -P 0xee 0 4k", url);
            assertThat(w.exit()).isNotZero();
            assertThat(w.out() + w.err()).contains("Permission denied");
        }
        byte[] b = new byte[4];
        snap.read(0, b, 0, 4);
        assertThat(b).containsOnly(1);
    }

    @Test
    void qemuIoWritesLandInTheWorkingDiskAndAreReported() throws Exception {
        VirtualDisk disk = patterned(4 * MIB).overlay();
        List<long[]> events = new CopyOnWriteArrayList<>();
        try (NbdServer server = NbdServer.start(0, List.of(NbdExport.readWrite("work", disk, (o, l) -> events.add(new long[] {o, l}))))) {
            String url = "nbd://127.0.0.1:" + server.port() + "/work";
            ok("qemu-io", "-f", "raw", "-c", "write -P 0xab 1M 1M", "-c", "read -P 0xab 1M 1M",
                    "-c", "write -z 0 64k", "-c", "flush", url);
            ok("qemu-io", "-f", "raw", "-c", "read -P 0xab 1M 1M", "-c", "read -P 0 0 64k", url);
        }
        byte[] b = new byte[8];
        disk.read(MIB + 8, b, 0, 8);
        assertThat(b).containsOnly(0xab - 256);
        disk.read(0, b, 0, 8);
        assertThat(b).containsOnly(0);
        assertThat(events).isNotEmpty();
        long written = events.stream().filter(e -> e[0] >= MIB && e[0] < 2 * MIB).mapToLong(e -> e[1]).sum();
        assertThat(written).isEqualTo(MIB);
        assertThat(events).anySatisfy(e -> assertThat(e).containsExactly(0, 65536));
    }

    @Test
    void qemuImgConvertsIntoAWorkingDiskAndComparesIdentical() throws Exception {
        Path src = dir.resolve("src.qcow2");
        ok("qemu-img", "create", "-q", "-f", "qcow2", src.toString(), "3M");
        ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x5c 512k 1M", src.toString());
        VirtualDisk disk = VirtualDisk.blank(3 * MIB);
        try (NbdServer server = NbdServer.start(0, List.of(NbdExport.readWrite("", disk, (o, l) -> {})))) {
            String url = "nbd://127.0.0.1:" + server.port();
            ok("qemu-img", "convert", "-n", "-f", "qcow2", "-O", "raw", src.toString(), url);
            QemuTools.assertIdentical(src.toString(), "qcow2", url, "raw");
        }
        byte[] b = new byte[4];
        disk.read(MIB, b, 0, 4);
        assertThat(b).containsOnly(0x5c);
    }

    @Test
    void qemuNbdListsExports() throws Exception {
        QemuTools.require("qemu-nbd");
        try (NbdServer server = NbdServer.start(0, List.of(
                NbdExport.readOnly("alpha", patterned(MIB)), NbdExport.readOnly("beta", patterned(2 * MIB))))) {
            String out = ok("qemu-nbd", "--list", "-b", "127.0.0.1", "-p", Integer.toString(server.port())).out();
            assertThat(out).contains("exports available: 2").contains("export: 'alpha'").contains("export: 'beta'")
                    .contains("size:  2097152");
        }
    }
}
