package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 9: every user-named file is read within what its format can need. /dev/zero, a
 * FIFO and a file larger than the bound are refused with one line and status 4, quickly, before
 * anything is read or stored (before, /dev/zero ended in OutOfMemoryError and a FIFO blocked).
 */
class BoundedReadsTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    Path fifo, huge, hello;

    @BeforeEach
    void setUp() throws Exception {
        f = new Dom0Fixture(dir).init();
        fifo = dir.resolve("fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor()).as("mkfifo").isZero();
        huge = dir.resolve("huge.bin");
        try (RandomAccessFile r = new RandomAccessFile(huge.toFile(), "rw")) {
            r.setLength(3L << 30);      // sparse: 3 GiB that take no space
        }
        hello = Path.of(System.getProperty("vmtree.project.root"), "guests", "bin", "hello.elf");
    }

    static void refused(Dom0Fixture.Result r, String... parts) {
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("vmtree: ").doesNotContain("Exception").doesNotContain("OutOfMemory");
        for (String p : parts) {
            assertThat(r.err()).contains(p);
        }
    }

    /** Runs in-process, and fails rather than hangs when a read blocks for ever (a FIFO without writer). */
    Dom0Fixture.Result vm(String... args) {
        return Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> f.vm(args));
    }

    @Test
    void createRefusesDevicesFifosAndOversizedBootFiles() {
        refused(vm("create", "x", "--kernel", "/dev/zero"), "kernel /dev/zero", "not a regular file");
        refused(vm("create", "x", "--kernel", fifo.toString()), "not a regular file");
        refused(vm("create", "x", "--kernel", huge.toString(), "--memory", "16M"), "kernel " + huge,
                "3.0 GiB, more than the machine's RAM (16.0 MiB)");
        refused(vm("create", "x", "--kernel", hello.toString(), "--initrd", "/dev/zero"), "initrd /dev/zero");
        refused(vm("create", "x", "--kernel", hello.toString(), "--initrd", huge.toString(), "--memory", "16M"),
                "initrd " + huge, "more than the machine's RAM");
        refused(vm("create", "x", "--kernel", hello.toString(), "--firmware", fifo.toString()), "firmware " + fifo);
        refused(vm("create", "x", "--kernel", hello.toString(), "--disk-image", "/dev/zero"), "/dev/zero");
        refused(vm("create", "x", "--kernel", hello.toString(), "--disk-image", fifo.toString()), fifo.toString());
        assertThat(f.vm("branch").out()).doesNotContain("x");
    }

    @Test
    void execRefusesTheSameWithTheSameStatus() throws Exception {
        for (List<String> args : List.of(List.of("/dev/zero"), List.of(fifo.toString()), List.of(huge.toString()),
                List.of("--initrd", "/dev/zero", hello.toString()), List.of("--firmware", fifo.toString(), hello.toString()))) {
            String[] all = new String[args.size() + 1];
            all[0] = "exec";
            for (int i = 0; i < args.size(); i++) {
                all[i + 1] = args.get(i);
            }
            refused(Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Dom0Fixture.run(all)));
        }
    }

    @Test
    void anElfMayBeLargerThanRamButNotThanWhatVmtreeLoads() throws Exception {
        Path bigElf = dir.resolve("big.elf");
        try (RandomAccessFile r = new RandomAccessFile(bigElf.toFile(), "rw")) {
            r.write(Files.readAllBytes(hello));
            r.setLength(3L << 30);
        }
        refused(vm("create", "x", "--kernel", bigElf.toString()), "more than the largest file vmtree loads");
    }

    @Test
    void runInputMustBeAFileOrStandardInput() throws Exception {
        f.vm("create", "kv", "--kernel", hello.resolveSibling("kvshell.elf").toString(), "--memory", "16M").ok();
        refused(vm("run", "--input", "/dev/zero"), "--input /dev/zero", "not a regular file", "--input - < /dev/zero");
        refused(vm("run", "--input", fifo.toString()), "not a regular file");
        // a large input file is streamed, never read whole
        Dom0Fixture.Result big = vm("run", "--input", huge.toString(), "--max-instructions", "2000000");
        assertThat(big.exit()).as(big.err()).isEqualTo(ExitCodes.BUDGET);
    }

    @Test
    void storePutRefusesWhatIsNotARegularFile() {
        refused(vm("store", "put", "/dev/zero", "--branch", "b"), "/dev/zero", "not a regular file");
        refused(vm("store", "put", fifo.toString(), "--branch", "b"), "not a regular file");
    }
}
