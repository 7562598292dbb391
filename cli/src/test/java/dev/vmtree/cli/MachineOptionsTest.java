package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The machine options every command shares (--memory, --harts, --kernel/--initrd/--firmware, --input,
 * --disk-size/--disk-image, --max-instructions): one validation each, so one mistake gets one message
 * and one exit status from create, exec, run and config alike (docs/cli.md "Exit status").
 */
class MachineOptionsTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    Path hello;

    @BeforeEach
    void repository() {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        hello = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");
        f = new Dom0Fixture(dir).init();
    }

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.home");
        System.clearProperty("vmtree.config.home");
    }

    /** One mistake made through create and exec: same status, same message (%s: what create and exec call the kernel). */
    record Mistake(int exit, String message, List<String> create, List<String> exec) {}

    private Dom0Fixture.Result create(List<String> options, String name) {
        List<String> args = new ArrayList<>(List.of("create", name));
        if (options.stream().noneMatch(o -> o.equals("--kernel"))) {
            args.addAll(List.of("--kernel", hello.toString()));
        }
        args.addAll(options);
        return f.vm(args.toArray(String[]::new));
    }

    private Dom0Fixture.Result exec(List<String> options) {
        List<String> args = new ArrayList<>(List.of("exec"));
        args.addAll(options);
        if (options.isEmpty() || options.getLast().startsWith("--") || options.size() % 2 == 0) {
            args.add(hello.toString());
        }
        return Dom0Fixture.run(args.toArray(String[]::new));
    }

    @Test
    void oneMistakeGetsOneStatusAndOneMessageFromEveryCommand() throws Exception {
        String missing = dir.resolve("missing").toString();
        String truncated = Files.write(dir.resolve("bad.elf"), new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1}).toString();
        List<Mistake> mistakes = List.of(
                new Mistake(2, "--memory must be a multiple of 4K from 128K to 64G: 1T",
                        List.of("--memory", "1T"), List.of("--memory", "1T")),
                new Mistake(2, "--memory must be a multiple of 4K from 128K to 64G: 4095",
                        List.of("--memory", "4095"), List.of("--memory", "4095")),
                new Mistake(2, "--memory must be a multiple of 4K from 128K to 64G: 64KiB",
                        List.of("--memory", "64KiB"), List.of("--memory", "64KiB")),
                new Mistake(2, "--memory: bad size 'lots'", List.of("--memory", "lots"), List.of("--memory", "lots")),
                new Mistake(2, "--harts must be a whole number from 1 to 64: 0",
                        List.of("--harts", "0"), List.of("--harts", "0")),
                new Mistake(2, "--harts must be a whole number from 1 to 64: 65",
                        List.of("--harts", "65"), List.of("--harts", "65")),
                new Mistake(4, "cannot read %s " + missing + ": No such file or directory",
                        List.of("--kernel", missing), List.of(missing)),
                new Mistake(4, "cannot read %s " + dir + ": Is a directory",
                        List.of("--kernel", dir.toString()), List.of(dir.toString())),
                new Mistake(4, truncated + ": truncated ELF header",
                        List.of("--kernel", truncated), List.of(truncated)),
                new Mistake(4, "cannot read initrd " + missing + ": No such file or directory",
                        List.of("--initrd", missing), List.of("--initrd", missing)),
                new Mistake(4, "cannot read firmware " + missing + ": No such file or directory",
                        List.of("--firmware", missing), List.of("--firmware", missing)));
        int n = 0;
        for (Mistake m : mistakes) {
            Dom0Fixture.Result c = create(m.create(), "m" + n++);
            assertThat(c.exit()).as("create %s: %s", m.create(), c.err()).isEqualTo(m.exit());
            assertThat(c.err()).as("create %s", m.create()).startsWith("vmtree: " + m.message().replace("%s", "kernel"));
            Dom0Fixture.Result e = exec(m.exec());
            assertThat(e.exit()).as("exec %s: %s", m.exec(), e.err()).isEqualTo(m.exit());
            assertThat(e.err()).as("exec %s", m.exec()).startsWith("vmtree: " + m.message().replace("%s", "program"));
        }
        assertThat(f.vm("branch").ok().out()).as("no mistake made a machine").isEmpty();
    }

    @Test
    void configDefaultsAreCheckedAsTheOptionsAre() {
        Dom0Fixture.Result r = f.vm("config", "machine.memory", "64K");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("vmtree: machine.memory must be a multiple of 4K from 128K to 64G: 64K");
        r = f.vm("config", "machine.harts", "0");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("vmtree: machine.harts must be a whole number from 1 to 64: 0");
        f.vm("config", "machine.memory", "128K").ok();
    }

    @Test
    void aMissingInputFileIsUnreadableInputWithItsReason() throws Exception {
        f.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        String missing = dir.resolve("missing.txt").toString();
        Dom0Fixture.Result r = f.vm("run", "--input", missing);
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).isEqualTo("vmtree: cannot read --input " + missing + ": No such file or directory\n");
    }

    @Test
    void runMaxInstructionsZeroRunsNothingAndNegativeIsAUsageError() throws Exception {
        f.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        Path none = Files.createFile(dir.resolve("none.txt"));
        Dom0Fixture.Result zero = f.vm("run", "--input", none.toString(), "--max-instructions", "0");
        assertThat(zero.exit()).as(zero.err()).isEqualTo(ExitCodes.BUDGET);
        assertThat(zero.err()).contains("after 0 instructions (the instruction budget ran out)");
        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "instructionsSinceHead")).isEqualTo("0");
        Dom0Fixture.Result negative = f.vm("run", "--input", none.toString(), "--max-instructions", "-1");
        assertThat(negative.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(negative.err()).startsWith("vmtree: --max-instructions must not be negative");
        Dom0Fixture.Result some = f.vm("run", "--input", none.toString(), "--max-instructions", "1000");
        assertThat(some.exit()).isEqualTo(ExitCodes.BUDGET);
        assertThat(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "instructionsSinceHead")).isEqualTo("1000");
        // the default has no limit: kvshell boots and waits for the input that ended
        assertThat(f.vm("run", "--input", none.toString()).exit()).isZero();
    }

    @Test
    void execMaxInstructionsZeroRunsNothingAndNegativeIsAUsageError() {
        Dom0Fixture.Result zero = Dom0Fixture.run("exec", "--max-instructions", "0", hello.toString());
        assertThat(zero.exit()).isEqualTo(ExitCodes.BUDGET);
        assertThat(zero.out()).isEmpty();
        Dom0Fixture.Result negative = Dom0Fixture.run("exec", "--max-instructions", "-1", hello.toString());
        assertThat(negative.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(negative.err()).startsWith("vmtree: --max-instructions must not be negative");
        assertThat(Dom0Fixture.run("exec", hello.toString()).exit()).isZero();
    }

    @Test
    void diskSizesArePositiveMultiplesOfTheSectorSize() throws Exception {
        for (String bad : List.of("0", "1000", "513")) {
            Dom0Fixture.Result r = create(List.of("--disk-size", bad), "d" + bad);
            assertThat(r.exit()).as(bad).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).startsWith("vmtree: --disk-size must be a positive multiple of 512 bytes (the"
                    + " virtio-blk sector size), at most 16T: " + bad);
        }
        create(List.of("--disk-size", "1536", "--memory", "4M"), "ok").ok();
        assertThat(f.vm("--json", "disk", "ls").ok().out()).contains("\"sizeBytes\":1536");
        Path text = dir.resolve("eight.txt");
        Files.writeString(text, "8 bytes\n");
        Dom0Fixture.Result r = create(List.of("--disk-image", text.toString()), "text");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).isEqualTo("vmtree: disk image " + text + " is 8 bytes, not a multiple of 512 (the"
                + " virtio-blk sector size); pad it with `truncate -s 512 " + text + "` (raw) or `qemu-img resize "
                + text + " 512` (qcow2)\n");
        Path empty = Files.createFile(dir.resolve("empty.img"));
        r = create(List.of("--disk-image", empty.toString()), "empty");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).contains("is empty");
        // the branch names only: a snapshot id in the listing may well begin with "d0"
        List<String> branches = f.vm("branch").ok().out().lines().map(l -> l.substring(2).trim().split("\\s+")[0]).toList();
        assertThat(branches).doesNotContain("text", "empty", "d0", "d1000", "d513");
    }

    @Test
    void storePutSaysWhichPageSizeAppliesAndHowToPad() throws Exception {
        Path text = dir.resolve("eight.txt");
        Files.writeString(text, "8 bytes\n");
        Dom0Fixture.Result r = f.vm("store", "put", text.toString(), "--branch", "b");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).isEqualTo("vmtree: " + text + " is 8 bytes, not a multiple of the page size 4096 (--page-size);"
                + " pad it with `truncate -s 4096 " + text + "`\n");
    }
}
