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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's debugging promise through the real launcher: `vmtree debug REF --gdb 0` on a committed
 * snapshot, driven by a scripted gdb-multiarch batch session that sets a breakpoint, continues,
 * reverse-steps and reverse-continues, and reads the values it expects; the repository is
 * unchanged afterwards.
 */
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
}
