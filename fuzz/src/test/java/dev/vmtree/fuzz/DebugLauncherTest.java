package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's debugging promise through the real launcher: `vmtree debug REF --gdb 0` on a committed
 * snapshot, driven by a scripted gdb-multiarch batch session that sets a breakpoint, continues,
 * reverse-steps and reverse-continues, and reads the values it expects; the repository is
 * unchanged afterwards.
 */
@Tag("engines")
class DebugLauncherTest {
    @TempDir
    Path dir;

    OutsideTools.Run ok(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of(LauncherTest.launcher().toString(), "-C", dir.toString()));
        c.addAll(List.of(args));
        OutsideTools.Run r = OutsideTools.run(c, dir, 300);
        assertThat(r.exitCode()).as("vmtree %s%n%s%n%s", String.join(" ", args), r.out(), r.err()).isZero();
        return r;
    }

    @Test
    void gdbDebugsASnapshotBackwardsThroughTheLauncher() throws Exception {
        Path gdb = OutsideTools.require("gdb-multiarch");
        Path elf = LauncherTest.guest("planted");
        ok("init", "-q");
        ok("create", "p", "--kernel", elf.toString(), "--memory", "16M", "-q");
        OutsideTools.Run run = OutsideTools.run(List.of(LauncherTest.launcher().toString(), "-C", dir.toString(), "run",
                "--max-instructions", "1000000"), dir, 300);
        assertThat(run.exitCode()).isEqualTo(3);
        ok("commit", "-m", "a million instructions in");
        String before = ok("--json", "status").out();

        Process server = new ProcessBuilder(LauncherTest.launcher().toString(), "-C", dir.toString(), "debug", "p",
                "--gdb", "0", "--checkpoint-interval", "4096")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(dir.resolve("debug.err").toFile()).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String first = lines.readLine();
            Matcher m = Pattern.compile("gdb: target remote (127\\.0\\.0\\.1:[0-9]+)").matcher(String.valueOf(first));
            assertThat(m.matches()).as("first line: %s", first).isTrue();
            Path script = dir.resolve("session.gdb");
            Files.writeString(script, String.join("\n",
                    "set pagination off",
                    "set confirm off",
                    "file " + elf,
                    "target remote " + m.group(1),
                    "break post",
                    "continue",
                    "set $first = $a0",
                    "continue",
                    "printf \"advanced=%d\\n\", $a0 - $first",
                    "reverse-stepi",
                    "reverse-stepi",
                    "printf \"in post=%d\\n\", $pc < main",
                    "reverse-continue",
                    "printf \"back=%d\\n\", $a0 - $first",
                    "reverse-continue",
                    "printf \"at start\\n\"",
                    "kill",
                    ""));
            OutsideTools.Run session = OutsideTools.run(List.of(gdb.toString(), "-batch", "-nx", "-x", script.toString()),
                    dir, 240);
            assertThat(session.exitCode()).as(session.out() + session.err()).isZero();
            assertThat(session.out()).contains("advanced=1").contains("in post=1").contains("back=0")
                    .contains("No more reverse-execution history").contains("at start");
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(server.exitValue()).isZero();
            assertThat(Files.readString(dir.resolve("debug.err"))).contains("gdb connected").contains("session ended");
        } finally {
            server.destroyForcibly();
        }
        // debugging changed nothing stored
        assertThat(ok("--json", "status").out()).isEqualTo(before);
    }

    /** Runs a gdb batch script against `vmtree debug ARGS --gdb 0`; returns gdb's standard output. */
    private String session(Path gdb, List<String> debugArgs, List<String> script) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LauncherTest.launcher().toString(), "-C", dir.toString(), "debug"));
        cmd.addAll(debugArgs);
        cmd.addAll(List.of("--gdb", "0"));
        Process server = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(dir.resolve("debug.err").toFile()).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String first = lines.readLine();
            Matcher m = Pattern.compile("gdb: target remote (127\\.0\\.0\\.1:[0-9]+)").matcher(String.valueOf(first));
            assertThat(m.matches()).as("first line: %s; %s", first, Files.readString(dir.resolve("debug.err"))).isTrue();
            List<String> all = new ArrayList<>(List.of("set pagination off", "set confirm off",
                    "file " + LauncherTest.guest("kvshell"), "target remote " + m.group(1)));
            all.addAll(script);
            all.add("kill");
            all.add("");
            Path file = dir.resolve("session-" + System.nanoTime() + ".gdb");
            Files.writeString(file, String.join("\n", all));
            OutsideTools.Run r = OutsideTools.run(List.of(gdb.toString(), "-batch", "-nx", "-x", file.toString()), dir, 240);
            assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
            assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return r.out();
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    void replayReLivesHowASnapshotWasMadeSoItsInputReachesABreakpoint() throws Exception {
        Path gdb = OutsideTools.require("gdb-multiarch");
        ok("init", "-q");
        ok("create", "kv", "--image", "kvshell", "-q");
        Path input = dir.resolve("typed");
        Files.writeString(input, "set a 5\ncount\n");    // count prints a number: print_unsigned
        ok("run", "--input", input.toString(), "-q");
        ok("commit", "-m", "typed a command", "-q");
        List<String> script = List.of("break print_unsigned", "continue", "set $hit = $pc",
                "printf \"stopped in %d\\n\", $pc - (long) print_unsigned < 16", "reverse-stepi", "printf \"went back=%d\\n\", $pc != $hit",
                "stepi", "printf \"forward again=%d\\n\", $pc == $hit");

        // the end state waits for input nobody gives: the breakpoint is never reached
        String plain = session(gdb, List.of("kv"), List.of("break print_unsigned", "continue"));
        assertThat(plain).doesNotContain("Breakpoint 1,");

        // from the parent with the snapshot's log, the typed command reaches it, and time runs both ways
        String replayed = session(gdb, List.of("kv", "--replay"), script);
        assertThat(replayed).contains("Breakpoint 1,").contains("stopped in 1").contains("went back=1")
                .contains("forward again=1");

        OutsideTools.Run root = OutsideTools.run(List.of(LauncherTest.launcher().toString(), "-C", dir.toString(),
                "debug", "kv~1", "--replay", "--gdb", "0"), dir, 60);
        assertThat(root.exitCode()).isEqualTo(1);
        assertThat(root.err().strip()).contains("is a root snapshot").doesNotContain("\n");
    }
}
