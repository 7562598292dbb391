package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5's commands against the real qemu-img and qemu-io: `create --disk-image` of raw and qcow2
 * files, `disk ls`, `disk export` (compare and check), `disk serve` of a snapshot (read-only) and of
 * an instance (read-write, recorded, replayable), and bad input.
 */
class DiskCommandTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    Path hello;
    Path raw;

    @BeforeEach
    void repository() throws Exception {
        require("qemu-img");
        require("qemu-io");
        hello = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");
        f = new Dom0Fixture(dir).init();
        // 4 MiB: 1.5 MiB of random data, a hole, 64 KiB more at 3 MiB
        raw = dir.resolve("data.raw");
        byte[] data = new byte[3 << 19];
        new Random(7).nextBytes(data);
        Files.write(raw, data);
        try (var file = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            file.seek(3 << 20);
            byte[] more = new byte[64 << 10];
            new Random(8).nextBytes(more);
            file.write(more);
            file.setLength(4 << 20);
        }
    }

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.config.home");
    }

    static void require(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(tool + " is required in CI (.ci/install-deps installs it)");
        }
        Assumptions.abort(tool + " is not installed");
    }

    static String tool(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
        return out;
    }

    @Test
    void importedImagesExportIdenticallyInBothFormats() throws Exception {
        Path qcow2 = dir.resolve("data.qcow2");
        tool("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        f.vm("create", "fromraw", "--kernel", hello.toString(), "--memory", "16M", "--disk-image", raw.toString()).ok();
        f.vm("create", "fromqcow", "--kernel", hello.toString(), "--memory", "16M", "--disk-image", qcow2.toString()).ok();

        String ls = f.vm("--json", "disk", "ls", "fromqcow").ok().out();
        assertThat(Dom0Fixture.field(ls, "name")).isEqualTo("disk0");
        assertThat(Dom0Fixture.field(ls, "sizeBytes")).isEqualTo(Long.toString(4 << 20));
        assertThat(Dom0Fixture.field(ls, "blocks")).isEqualTo("64");
        assertThat(Dom0Fixture.field(ls, "allocatedBlocks")).isEqualTo("25");                 // 24 blocks of data, 1 more at 3 MiB
        assertThat(f.vm("disk", "ls", "-i", "fromraw").ok().out()).contains("disk0").contains("4 MiB").contains("25");

        for (String source : List.of("fromraw", "fromqcow")) {
            Path outRaw = dir.resolve(source + ".img"), outQcow = dir.resolve(source + ".qcow2");
            f.vm("disk", "export", source, "--format", "raw", outRaw.toString()).ok();
            f.vm("disk", "export", source, "--disk", "disk0", "--format", "qcow2", outQcow.toString()).ok();
            assertThat(tool("qemu-img", "compare", "-f", "raw", "-F", "raw", raw.toString(), outRaw.toString()))
                    .contains("Images are identical");
            assertThat(tool("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw.toString(), outQcow.toString()))
                    .contains("Images are identical");
            assertThat(tool("qemu-img", "check", outQcow.toString())).contains("No errors were found");
            // the hole stays a hole
            assertThat(Files.size(outQcow)).isLessThan(3 << 20);
        }
    }

    @Test
    void aSnapshotServesReadOnlyAndAnInstanceReadWriteWithItsWritesRecorded() throws Exception {
        f.vm("create", "d", "--kernel", hello.toString(), "--memory", "16M", "--disk-image", raw.toString()).ok();

        Dom0Fixture.Started ro = f.start("disk", "serve", "d", "--nbd", "0", "--once");
        String url = ro.out().readLine();
        assertThat(url).matches("nbd://127\\.0\\.0\\.1:[0-9]+/disk0");
        assertThat(tool("qemu-img", "compare", "-f", "raw", "-F", "raw", raw.toString(), url)).contains("identical");
        ro.done().get(60, TimeUnit.SECONDS).ok();

        Dom0Fixture.Started refused = f.start("disk", "serve", "d", "--nbd", "127.0.0.1:0", "--once");
        url = refused.out().readLine();
        Process write = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 64k", url)
                .redirectErrorStream(true).start();
        String refusal = new String(write.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        write.waitFor(60, TimeUnit.SECONDS);
        assertThat(write.exitValue() != 0 || refusal.contains("ermission") || refusal.contains("ead-only")).as(refusal)
                .isTrue();
        refused.done().get(60, TimeUnit.SECONDS).ok();

        Dom0Fixture.Started rw = f.start("disk", "serve", "-i", "d", "--nbd", "0", "--once");
        url = rw.out().readLine();
        assertThat(f.vm("mem", "write", "0x80400000", "00").exit()).as("the served instance is locked")
                .isEqualTo(ExitCodes.LOCKED);
        tool("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 64k", "-c", "write -z 1M 512k", url);
        assertThat(rw.out().readLine()).contains("saved 2 writes");
        rw.done().get(60, TimeUnit.SECONDS).ok();

        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "dirty")).isEqualTo("true");
        assertThat(f.vm("show").ok().out()).contains("2 disk write");
        Path after = dir.resolve("after.img");
        f.vm("disk", "export", "--format", "raw", after.toString()).ok();
        byte[] b = Files.readAllBytes(after), original = Files.readAllBytes(raw);
        assertThat(b[0]).isEqualTo((byte) 0x5a);
        assertThat(b[(64 << 10) - 1]).isEqualTo((byte) 0x5a);
        assertThat(b[1 << 20]).isZero();
        assertThat(java.util.Arrays.copyOfRange(b, 64 << 10, 1 << 20))
                .isEqualTo(java.util.Arrays.copyOfRange(original, 64 << 10, 1 << 20));
        f.vm("commit", "-m", "written over NBD").ok();
        // the writes are in the snapshot's ReplayLog: replaying them reproduces it
        assertThat(f.vm("replay", "d", "--verify").ok().out()).contains("identical to d");
    }

    @Test
    void badInputIsOneLineAndChangesNothing() throws Exception {
        f.vm("create", "d", "--kernel", hello.toString(), "--memory", "16M", "--disk-image", raw.toString()).ok();
        f.vm("create", "nodisk", "--kernel", hello.toString(), "--memory", "16M").ok();
        Path out = dir.resolve("x.img");
        Dom0Fixture.Result r = f.vm("disk", "export", "d", "--disk", "disk7", "--format", "raw", out.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("no disk 'disk7'").contains("disk0");
        r = f.vm("disk", "export", "d", "--format", "vmdk", out.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("vmdk");
        assertThat(f.vm("disk", "export", "nosuch", "--format", "raw", out.toString()).exit()).isNotZero();
        r = f.vm("disk", "export", "nodisk", "--format", "raw", out.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).contains("has no disks");
        assertThat(f.vm("disk", "export", "d", "--format", "raw", dir.toString()).exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("disk", "export", "d", "--format", "raw", dir.resolve("no/such/dir/x.img").toString()).exit())
                .isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(out).doesNotExist();
        assertThat(f.vm("disk", "serve", "d", "--nbd", "70000").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("disk", "serve", "d", "--nbd", "localhost:x").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("disk", "serve", "d", "-i", "d", "--nbd", "0").exit()).isEqualTo(ExitCodes.USAGE);
        Path broken = dir.resolve("broken.qcow2");
        Files.write(broken, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 99, 0, 0, 0, 0, 0, 0, 0, 0});
        r = f.vm("create", "bad", "--kernel", hello.toString(), "--disk-image", broken.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip()).doesNotContain("\n").doesNotContain("Exception");
        f.vm("fsck").ok();
    }
}
