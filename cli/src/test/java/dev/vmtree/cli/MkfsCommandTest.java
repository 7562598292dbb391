package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * create --mkfs ext4 formats the new disk through the host's mke2fs; the file system is the
 * disk's from the first snapshot on, survives commit, checkout and rollback, and its export passes
 * e2fsck -fn. (DebianImageTest has Linux write to it.)
 */
class MkfsCommandTest {
    @TempDir
    Path dir;

    static Path tool(String name) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name);
            }
        }
        return null;
    }

    /** e2fsck -fn on {@code image}: the exit status (0: clean) and what it said. */
    static String fsck(Path image) throws Exception {
        Process p = new ProcessBuilder(tool("e2fsck").toString(), "-fn", image.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() + "\n" + out;
    }

    static String debugfs(Path image, String request) throws Exception {
        Process p = new ProcessBuilder(tool("debugfs").toString(), "-R", request, image.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    @Test
    void anExt4DiskSurvivesCommitCheckoutAndRollback() throws Exception {
        assumeTrue(tool("mke2fs") != null && tool("e2fsck") != null, "e2fsprogs is not installed (.ci/install-deps)");
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Path loop = Files.write(dir.resolve("loop.bin"), new byte[] {0x6f, 0, 0, 0}); // j . (spins)
        f.vm("create", "vm", "--kernel", loop.toString(), "--memory", "4M", "--disk-size", "16M", "--mkfs", "ext4").ok();
        try (Stream<Path> s = Files.list(f.repo.resolve(".vmtree"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("mkfs-")); // temp file gone
        }
        Path first = dir.resolve("first.img");
        f.vm("disk", "export", "--format", "raw", "vm", first.toString()).ok();
        assertThat(Files.size(first)).isEqualTo(16L << 20);
        assertThat(fsck(first)).startsWith("0\n");
        assertThat(debugfs(first, "stats")).contains("Filesystem features:").contains("extent").contains("has_journal");
        assertThat(debugfs(first, "ls -l /")).contains("lost+found");

        assertThat(f.vm("run", "--max-instructions", "1000").exit()).isEqualTo(ExitCodes.BUDGET);
        f.vm("commit", "-m", "ran").ok();
        f.vm("checkout", "-b", "other", "vm~1").ok();
        f.vm("checkout", "vm").ok();
        f.vm("rollback").ok();
        Path back = dir.resolve("back.img");
        f.vm("disk", "export", "--format", "raw", back.toString()).ok();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(first));
        assertThat(fsck(back)).startsWith("0\n");
    }

    @Test
    void mkfsMistakes() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Path loop = Files.write(dir.resolve("loop.bin"), new byte[] {0x6f, 0, 0, 0});
        Dom0Fixture.Result noDisk = f.vm("create", "a", "--kernel", loop.toString(), "--mkfs", "ext4");
        assertThat(noDisk.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(noDisk.err()).startsWith("vmtree: --mkfs needs a disk to format: give --disk-size SIZE\n");
        Dom0Fixture.Result type = f.vm("create", "a", "--kernel", loop.toString(), "--disk-size", "8M", "--mkfs", "zfs");
        assertThat(type.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(type.err()).startsWith("vmtree: --mkfs: unknown file system 'zfs' (vmtree makes ext4, ext3, ext2)\n");
        Path raw = Files.write(dir.resolve("d.img"), new byte[1 << 16]);
        Dom0Fixture.Result both = f.vm("create", "a", "--kernel", loop.toString(), "--disk-image", raw.toString(),
                "--mkfs", "ext4");
        assertThat(both.err()).startsWith("vmtree: --mkfs formats a new disk: give --disk-size, not --disk-image\n");
        assertThat(f.vm("branch").ok().out()).doesNotContain("a");
    }
}
