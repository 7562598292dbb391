package dev.vmtree.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench linux DEB...}: the tree's own operations on a booted Debian Linux, in-process
 * through the real commands (no JVM start per step): the first commit of the booted machine, a
 * commit after one shell command, and a checkout of a Linux snapshot until its shell answers a typed
 * command. Figures go to docs/performance.md ("Linux boot (issue 13)").
 */
@Command(name = "linux", mixinStandardHelpOptions = true,
        description = {"Benchmark commit and checkout on a booted Debian Linux (packages as guests/fetch-debian.sh"
                + " prints them): import, create with an ext4 disk, boot to the shell, then time the first commit,"
                + " commits after one shell command, and checkouts of the booted snapshot until the shell answers"
                + " a typed command (medians)."})
public final class BenchLinuxCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DEB", arity = "1..*", description = "The kernel and busybox-static packages.")
    List<Path> debs;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M", description = "Guest RAM (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Measured runs of each step (default: ${DEFAULT-VALUE}).")
    int runs;

    private Path repo;

    @Override
    public void run() {
        if (runs < 1) {
            throw new CliException(ExitCodes.USAGE, "--runs must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        try {
            Path dir = Files.createTempDirectory("vmtree-bench-linux");
            repo = dir.resolve("repo");
            try {
                vm(null, "init", repo.toString());
                List<String> imp = new ArrayList<>(List.of("image", "import-deb"));
                debs.forEach(d -> imp.add(d.toString()));
                vm(null, imp.toArray(String[]::new));
                vm(null, "create", "lx", "--image", "debian", "--memory", memory, "--disk-size", "64M", "--mkfs",
                        "ext4", "--clock-base", "2026-01-01T00:00:00Z");
                long t0 = System.nanoTime();
                type(dir, "20s", "\necho booted\n", null);
                double boot = seconds(t0);
                t0 = System.nanoTime();
                String booted = field(vm(null, "--json", "commit", "-m", "booted"), "snapshot");
                double first = seconds(t0);
                out.printf("boot to the shell, in-process: %.1f s wall; first commit of the booted %s machine: %.3f s%n",
                        boot, memory, first);
                out.flush();

                double[] commit = new double[runs];
                for (int r = 0; r < runs; r++) {
                    type(dir, "2s", "echo step " + r + " > /mnt/step; sync\n", null);
                    t0 = System.nanoTime();
                    vm(null, "commit", "-m", "step " + r);
                    commit[r] = seconds(t0);
                }
                double[] answer = new double[runs];
                for (int r = 0; r < runs; r++) {
                    String marker = "answer-" + r;
                    t0 = System.nanoTime();
                    vm(null, "checkout", "--discard", booted);
                    long[] seen = {0};
                    type(dir, "2s", "echo " + marker + "\n", new Watch(marker, seen));
                    if (seen[0] == 0) {
                        throw new CliException(1, "bench linux: the shell never answered " + marker);
                    }
                    answer[r] = (seen[0] - t0) / 1e9;
                    vm(null, "checkout", "--discard", "lx");
                }
                out.printf("commit after one shell command: median %.3f s (%s)%n", Benches.median(commit), list(commit));
                out.printf("checkout of the booted snapshot until the shell answers: median %.3f s (%s)%n",
                        Benches.median(answer), list(answer));
                out.printf("%d runs each; in-process through the commands, Java %s%n", runs, Runtime.version());
            } finally {
                Benches.deleteTree(dir);
            }
        } catch (IOException e) {
            throw new CliException(1, "bench linux: " + e.getMessage());
        }
    }

    /** Runs the instance with {@code input} typed at its console; {@code watch} sees its output. */
    private void type(Path dir, String idle, String input, Writer watch) throws IOException {
        Path in = Files.createTempFile(dir, "input", ".txt");
        Files.writeString(in, input);
        vm(watch, "run", "--input", in.toString(), "--idle", idle, "--max-instructions", "10000000000");
    }

    private String vm(Writer watch, String... args) {
        List<String> all = new ArrayList<>();
        if (!args[0].equals("init")) {
            all.addAll(List.of("-C", repo.toString()));
        }
        all.add("-q");
        all.addAll(Arrays.asList(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setOut(new PrintWriter(watch == null ? out : new Tee(out, watch), true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(all.toArray(String[]::new));
        if (exit != 0) {
            throw new CliException(1, "bench linux: vmtree " + String.join(" ", args) + " failed (" + exit + "): "
                    + err.toString().strip());
        }
        return out.toString();
    }

    private static String field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new CliException(1, "bench linux: no " + name + " in " + json);
        }
        return m.group(1);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String list(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) {
            sb.append(sb.isEmpty() ? "" : " ").append(String.format("%.3f", d));
        }
        return sb.toString();
    }

    /** Output to two writers. */
    static final class Tee extends Writer {
        private final Writer a;
        private final Writer b;

        Tee(Writer a, Writer b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(char[] c, int off, int len) throws IOException {
            a.write(c, off, len);
            b.write(c, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Notes the time the first line holding exactly {@code marker} appears (not its echo). */
    static final class Watch extends Writer {
        private final String marker;
        private final long[] seen;
        private final StringBuilder text = new StringBuilder();

        Watch(String marker, long[] seen) {
            this.marker = marker;
            this.seen = seen;
        }

        @Override
        public void write(char[] c, int off, int len) {
            if (seen[0] != 0) {
                return;
            }
            text.append(c, off, len);
            if (text.indexOf("\n" + marker + "\r") >= 0 || text.indexOf("\n" + marker + "\n") >= 0) {
                seen[0] = System.nanoTime();
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
