package dev.vmtree.dom0.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The newc writer produces the kernel's buffer format byte for byte, and the reader reads it back. */
class CpioTest {
    @Test
    void headerFieldsAndPaddingAreNewc() {
        byte[] b = Cpio.toBytes(List.of(Cpio.Entry.file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII))));
        String s = new String(b, StandardCharsets.US_ASCII);
        // magic, ino 1, mode 0100755, uid, gid, nlink 1, mtime 0, size 10, dev 0/0, rdev 0/0, namesize 5, check 0
        assertThat(s).startsWith("070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000"
                + "0000000a" + "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000" + "init\0");
        // 110 + 5 = 115 -> name padded to 116; data 10 -> padded to 12; then the trailer
        assertThat(s.substring(116, 126)).isEqualTo("#!/bin/sh\n");
        assertThat(b[126]).isZero();
        assertThat(s.substring(128, 134)).isEqualTo("070701");
        assertThat(s).contains("TRAILER!!!\0");
        assertThat(b.length % 4).isZero();
    }

    @Test
    void roundTripsEveryKindOfEntry() throws Exception {
        List<Cpio.Entry> in = List.of(Cpio.Entry.dir("bin"), Cpio.Entry.file("bin/busybox", 0755, new byte[] {1, 2, 3}),
                Cpio.Entry.symlink("bin/sh", "busybox"), Cpio.Entry.charDevice("dev/console", 0600, 5, 1));
        List<Cpio.Entry> out = Cpio.read(Cpio.toBytes(in));
        assertThat(TestDebs.names(out)).containsExactly("bin", "bin/busybox", "bin/sh", "dev/console");
        assertThat(out.get(0).mode()).isEqualTo(Cpio.S_IFDIR | 0755);
        assertThat(out.get(1).data()).containsExactly(1, 2, 3);
        assertThat(new String(out.get(2).data(), StandardCharsets.UTF_8)).isEqualTo("busybox");
        assertThat(out.get(2).mode()).isEqualTo(Cpio.S_IFLNK | 0777);
        assertThat(out.get(3).mode()).isEqualTo(Cpio.S_IFCHR | 0600);
        assertThat(out.get(3).rdevMajor()).isEqualTo(5);
        assertThat(out.get(3).rdevMinor()).isEqualTo(1);
    }

    @Test
    void theSameEntriesGiveTheSameBytes() {
        List<Cpio.Entry> in = List.of(Cpio.Entry.file("a", 0644, new byte[] {7}));
        assertThat(Cpio.toBytes(in)).isEqualTo(Cpio.toBytes(in));
    }

    @Test
    void aTruncatedOrForeignArchiveIsRefused() {
        byte[] b = Cpio.toBytes(List.of(Cpio.Entry.file("a", 0644, new byte[100])));
        assertThatThrownBy(() -> Cpio.read(Arrays.copyOf(b, 150))).isInstanceOf(PackageException.class)
                .hasMessage("truncated cpio archive (a past the end)");
        byte[] odc = b.clone();
        odc[5] = '7'; // 070707: the old portable format, not newc
        assertThatThrownBy(() -> Cpio.read(odc)).hasMessage("not a newc cpio archive at byte 0");
    }
}
