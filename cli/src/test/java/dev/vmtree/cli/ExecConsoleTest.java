package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 items 7 and 8: {@code vmtree exec}'s console, in a real process (signals, pipes, files
 * and a terminal behave only there): output appears as the guest writes it and survives SIGTERM,
 * standard input is waited for until it ends, and on a terminal the guest gets every key.
 */
class ExecConsoleTest {
    @TempDir
    Path dir;

    static Path guest(String name) {
        return Path.of(System.getProperty("vmtree.project.root"), "guests", "bin", name);
    }

    /** {@code java -cp <this class path> dev.vmtree.cli.Main args...}. */
    static List<String> vmtree(String... args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static void await(String what, Supplier<Boolean> condition, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** Collects a stream's bytes as they come. */
    static final class Collector {
        private final StringBuffer text = new StringBuffer();

        Collector(InputStream in) {
            Thread.ofPlatform().daemon().start(() -> {
                byte[] b = new byte[4096];
                try (in) {
                    for (int n; (n = in.read(b)) > 0; ) {
                        text.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException ignored) {
                    // closed when the process ends
                }
            });
        }

        String text() {
            return text.toString();
        }
    }

    @Test
    void outputToAFileAppearsWhileTheGuestRunsAndSurvivesSigterm() throws Exception {
        Path program = Files.write(dir.resolve("spin.bin"), RawPrograms.printThenSpin("booting\nno newline yet"));
        Path out = dir.resolve("out.txt"), err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(vmtree("exec", program.toString()))
                .redirectInput(ProcessBuilder.Redirect.PIPE).redirectOutput(out.toFile()).redirectError(err.toFile())
                .start();
        // before, nothing reached the file until the guest ended, and this guest never does
        await("the guest's output in the file while it runs", () -> read(out).contains("booting\nno newline yet"), p);
        assertThat(p.isAlive()).isTrue();
        p.destroy();    // SIGTERM
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(read(out)).isEqualTo("booting\nno newline yet");
        assertThat(read(err)).contains("stopped by SIGTERM after");
    }

    @Test
    void outputThroughAPipeComesAsItIsWrittenAndSigintStopsCleanly() throws Exception {
        Path program = Files.write(dir.resolve("spin.bin"), RawPrograms.printThenSpin("line one\nline two"));
        Process p = new ProcessBuilder(vmtree("exec", program.toString())).start();
        Collector out = new Collector(p.getInputStream()), err = new Collector(p.getErrorStream());
        await("the guest's output on the pipe while it runs", () -> out.text().contains("line one\nline two"), p);
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(130);
        assertThat(err.text()).contains("stopped by SIGINT");
    }

    @Test
    void inputThatComesLateThroughAPipeIsWaitedFor() throws Exception {
        Process p = new ProcessBuilder(vmtree("exec", guest("input.elf").toString())).start();
        Collector out = new Collector(p.getInputStream()), err = new Collector(p.getErrorStream());
        await("the guest's first line", () -> out.text().contains("input: start"), p);
        Thread.sleep(2000);
        // before, exec had already ended: "every hart waits for an interrupt nothing can raise"
        assertThat(p.isAlive()).as("exec waits for input that has not come yet: %s", err.text()).isTrue();
        try (OutputStream in = p.getOutputStream()) {
            in.write("hi.".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err.text()).isZero();
        assertThat(out.text()).contains("input: got h at").contains("input: got i at").contains("input: got . at");
    }

    @Test
    void standardInputThatEndsIsTheEndOfInput() throws Exception {
        Process p = new ProcessBuilder(vmtree("exec", guest("input.elf").toString()))
                .redirectInput(new File("/dev/null")).start();
        Collector out = new Collector(p.getInputStream()), err = new Collector(p.getErrorStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err.text()).contains("every hart waits for an interrupt nothing can raise");
    }

    static Path script() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path c = Path.of(d, "script");
            if (Files.isExecutable(c)) {
                return c;
            }
        }
        Assumptions.abort("script (util-linux) is not installed: it gives the test a terminal");
        return null;
    }

    @Test
    void onATerminalTheGuestWaitsForKeysGetsCtrlCAndCtrlQuitsIt() throws Exception {
        Path script = script();
        String line = String.join(" ", vmtree("exec", guest("kvshell.elf").toString()).stream()
                .map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
        // script gives the command a pseudo-terminal; what we write to script goes to it as typed keys
        Process p = new ProcessBuilder(script.toString(), "-qfec", line, "/dev/null").start();
        Collector out = new Collector(p.getInputStream());
        OutputStream keys = p.getOutputStream();
        // before, exec ended at once: every hart waits for an interrupt nothing can raise
        await("the shell's prompt", () -> out.text().contains("kv> "), p);
        Thread.sleep(1000);
        assertThat(p.isAlive()).as(out.text()).isTrue();
        keys.write("set a 42\r".getBytes(StandardCharsets.US_ASCII));
        keys.flush();
        await("set's answer", () -> out.text().contains("ok"), p);
        keys.write(0x03);       // Ctrl-C: in character mode the guest's key, not a SIGINT for vmtree
        keys.write("get a\r".getBytes(StandardCharsets.US_ASCII));
        keys.flush();
        await("get's answer", () -> out.text().contains("42\r\n"), p);
        assertThat(p.isAlive()).isTrue();
        assertThat(out.text()).as("no echo from the terminal itself, only the guest's").doesNotContain("set a 42set a 42");
        keys.write(0x1d);       // Ctrl-]
        keys.flush();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(out.text()).isTrue();
        assertThat(p.exitValue()).isEqualTo(130);
        assertThat(out.text()).contains("quit (Ctrl-])");
        keys.close();
    }
}
