package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtree.core.cpu.Engine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchCoreCommandTest {
    @TempDir
    Path dir;

    static ExecCommandTest.Result bench(String... args) {
        return benchCommand("core", args);
    }

    /** Runs {@code vmtree bench NAME ARGS...} in-process. */
    static ExecCommandTest.Result benchCommand(String name, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] full = new String[args.length + 2];
        full[0] = "bench";
        full[1] = name;
        System.arraycopy(args, 0, full, 2, args.length);
        return new ExecCommandTest.Result(cl.execute(full), out.toString(), err.toString());
    }

    static boolean haveQemu() {
        try {
            Process p = new ProcessBuilder("qemu-system-riscv64", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void reportsInstructionsAndMipsForEachProgram() throws Exception {
        Path p = dir.resolve("count.bin");
        Files.write(p, ExecCommandTest.sbiProgram("", 0));
        ExecCommandTest.Result r = bench("--no-qemu", "--runs", "1", "--warmup", "0", "--program", p.toString());
        assertThat(r.status()).as(r.err()).isZero();
        // by default one row per engine, interpreter and translator, each with its warm-up line
        assertThat(r.out()).containsPattern("count\\.bin\\s+interpreter\\s+7 \\|")
                .containsPattern("count\\.bin\\s+translator\\s+7 \\|").doesNotContain("eager")
                .containsPattern("count\\.bin\\s+interpreter\\s+first\\s+[0-9.]+ s, median\\s+[0-9.]+ s")
                .containsPattern("count\\.bin\\s+translator\\s+first\\s+[0-9.]+ s, median\\s+[0-9.]+ s");
    }

    @Test
    void enginesAreCommaSeparatedOrRepeatedAndMeasuredInTheOrderGiven() throws Exception {
        Path p = dir.resolve("count.bin");
        Files.write(p, ExecCommandTest.sbiProgram("", 0));
        ExecCommandTest.Result r = bench("--no-qemu", "--runs", "1", "--warmup", "1", "--program", p.toString(),
                "--engine", "eager", "--engine", "interpreter,eager");
        assertThat(r.status()).as(r.err()).isZero();
        List<String> rows = r.out().lines().filter(l -> l.matches("count\\.bin\\s+\\w+\\s+7 \\|.*")).toList();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).containsPattern("^count\\.bin\\s+eager\\s");
        assertThat(rows.get(1)).containsPattern("^count\\.bin\\s+interpreter\\s");
        assertThat(r.out()).doesNotContain("translator ");
        assertThat(BenchCoreCommand.engines(List.of())).containsExactly(Engine.INTERPRETER, Engine.TRANSLATOR);
    }

    @Test
    void icountNeedsQemu() {
        ExecCommandTest.Result r = bench("--no-qemu", "--qemu-icount");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).startsWith("vmtree: --qemu-icount measures QEMU: it cannot be combined with --no-qemu");
    }

    @Test
    void aGuestThatDoesNotShutDownIsAnError() throws Exception {
        Path p = dir.resolve("fail.bin");
        Files.write(p, ExecCommandTest.sbiProgram("", 1));
        assertThat(bench("--no-qemu", "--runs", "1", "--warmup", "0", "--program", p.toString()).status()).isEqualTo(1);
        assertThat(bench("--no-qemu", "--program", dir.resolve("missing.elf").toString()).status()).isEqualTo(4);
    }

    @Test
    void measuresQemuOnTheSameProgram() throws Exception {
        boolean qemu = haveQemu();
        if (!qemu && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("qemu-system-riscv64 is required in CI");
        }
        assumeTrue(qemu, "qemu-system-riscv64 not installed");
        Path p = dir.resolve("q.bin");
        Files.write(p, BenchCoreCommand.shutdownProgram());
        ExecCommandTest.Result r = bench("--runs", "1", "--warmup", "0", "--program", p.toString(), "--qemu-icount",
                "--engine", "interpreter");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("qemu boot baseline").contains("qemu -icount shift=0 boot baseline").contains("q.bin")
                .contains("icount MIPS");
        // the row: program, engine, instructions | vmtree | qemu | ratio | qemu -icount | ratio
        assertThat(r.out()).containsPattern("(?m)^q\\.bin\\s+interpreter\\s+[0-9,]+ \\|[^|]+\\|[^|]+\\|[^|]+\\|[^|]+\\|\\s+[0-9.]+$");
    }
}
