package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's own riscv64 kernel and busybox, as a user gets them: guests/fetch-debian.sh fetches
 * them into the user's cache (once; later runs reuse the cache), image import-deb makes the image,
 * create formats an ext4 disk, and a run with typed input boots Linux to the shell, writes a file
 * on /dev/vda, unmounts it and powers off. The disk as exported then passes e2fsck and holds the
 * file. Skipped, saying why, only when the packages cannot be fetched.
 */
class DebianImageTest {
    private static List<Path> debs;

    @TempDir
    Path dir;

    @BeforeAll
    static void fetch() throws Exception {
        debs = packages();
    }

    /**
     * The kernel and busybox packages, from guests/fetch-debian.sh (the user's cache after the first
     * fetch); aborts the calling test, saying why, when they cannot be fetched.
     */
    static List<Path> packages() throws Exception {
        Path script = Path.of("..", "guests", "fetch-debian.sh").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            abort("the Debian packages cannot be fetched (guests/fetch-debian.sh): " + err.strip());
        }
        List<Path> found = new ArrayList<>();
        out.lines().filter(l -> !l.isBlank()).forEach(l -> found.add(Path.of(l)));
        assertThat(found).hasSize(2);
        return found;
    }

    @Test
    void linuxBootsToTheShellAndWritesAFileOnItsExt4Disk() throws Exception {
        assumeTrue(MkfsCommandTest.tool("mke2fs") != null, "e2fsprogs is not installed (.ci/install-deps)");
        Dom0Fixture f = new Dom0Fixture(dir).init();
        List<String> args = new ArrayList<>(List.of("image", "import-deb"));
        debs.forEach(d -> args.add(d.toString()));
        String imported = f.vm(args.toArray(String[]::new)).ok().out();
        assertThat(imported).startsWith("imported image debian: Linux ").contains("ext4").contains("virtio_mmio");
        String release = imported.substring("imported image debian: Linux ".length()).split(" ")[0];
        assertThat(f.vm("image", "list").ok().out()).contains("debian ").contains(release);

        f.vm("create", "vm", "--image", "debian", "--disk-size", "64M", "--mkfs", "ext4").ok();
        // the first line is empty on purpose: the first byte typed may be lost (docs/linux.md "Known limits")
        Path input = Files.writeString(dir.resolve("input"), "\n"
                + "echo hello > /mnt/f; sync; uname -r\ncat /mnt/f\ndate -u +year=%Y\numount /mnt\npoweroff -f\n");
        long start = System.nanoTime();
        Dom0Fixture.Result run = f.vm("run", "--input", input.toString(), "--max-instructions", "8000000000").ok();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        String console = run.out();
        assertThat(console).as("console after %d s", seconds).contains("Run /init as init process")
                .contains("init: /dev/vda mounted at /mnt")
                .contains("debian:/# echo hello > /mnt/f; sync; uname -r\r\n" + release + "\r\n")
                .contains("debian:/# cat /mnt/f\r\nhello\r\n")
                // the kernel set its clock from the RTC, whose base create took from the host clock
                .contains("year=" + java.time.Year.now(java.time.ZoneOffset.UTC) + "\r\n")
                .contains("reboot: Power down");
        assertThat(run.err()).contains("(the guest powered off)");

        f.vm("commit", "-m", "wrote /mnt/f").ok();
        Path disk = dir.resolve("disk.img");
        f.vm("disk", "export", "--format", "raw", "vm", disk.toString()).ok();
        assertThat(MkfsCommandTest.fsck(disk)).startsWith("0\n");
        boolean debugfs = MkfsCommandTest.tool("debugfs") != null;
        if (debugfs) {
            assertThat(MkfsCommandTest.debugfs(disk, "cat /f")).isEqualTo("hello\n");
        }
        // the file system travels with the snapshots: not there before the run, there again after
        f.vm("checkout", "-b", "before", "vm~1").ok();
        Path before = dir.resolve("before.img");
        f.vm("disk", "export", "--format", "raw", before.toString()).ok();
        assertThat(MkfsCommandTest.fsck(before)).startsWith("0\n");
        f.vm("checkout", "vm").ok();
        Path after = dir.resolve("after.img");
        f.vm("disk", "export", "--format", "raw", after.toString()).ok();
        assertThat(Files.readAllBytes(after)).isEqualTo(Files.readAllBytes(disk));
        if (debugfs) {
            assertThat(MkfsCommandTest.debugfs(before, "cat /f")).isEmpty(); // "File not found" goes to stderr
            assertThat(MkfsCommandTest.debugfs(after, "cat /f")).isEqualTo("hello\n");
        }
    }
}
