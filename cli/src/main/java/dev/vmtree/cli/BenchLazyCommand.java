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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench lazy DEB...}: issue 17's lazy start. A Debian Linux machine (the image as
 * {@code image import-deb} writes it, created with an ext4 disk, not yet booted) is committed and
 * pushed to an S3 bucket; then, per run, a fresh {@code clone --lazy} of it boots until its shell
 * answers a typed command, beside a full {@code clone} of it that boots the same way. Reported: the
 * time from the clone's start to the shell's answer, and the share of the image's chunk bytes a
 * lazy start fetched (the clone's nodes and the pages the boot faulted in, over what a full clone
 * fetches). In-process through the real commands, as {@code bench linux}.
 */
@Command(name = "lazy", mixinStandardHelpOptions = true,
        description = {"Benchmark lazy start from an S3 bucket: a Debian Linux image (packages as guests/fetch-debian.sh"
                + " prints them) pushed there, then `clone --lazy` and a boot until the shell answers, beside a full"
                + " clone and the same boot; times and the fraction of the image fetched (medians)."
                + " bench/lazy.sh runs it against S3Proxy on 127.0.0.1."})
public final class BenchLazyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DEB", arity = "1..*", description = "The kernel and busybox-static packages.")
    List<Path> debs;

    @Option(names = "--bucket", paramLabel = "BUCKET", required = true, description = "The bucket (created when"
            + " absent); the image is pushed under a fresh prefix of it.")
    String bucket;

    @Option(names = "--endpoint", paramLabel = "URL", description = RemoteCommands.ENDPOINT)
    String endpoint;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "256M", description = "Guest RAM (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3", description = "Runs of each start (default: ${DEFAULT-VALUE}).")
    int runs;

    private static final Pattern FAULTED = Pattern.compile("faulted in (\\d+) chunks \\((\\d+) bytes\\)");

    @Override
    public void run() {
        if (runs < 1) {
            throw new CliException(ExitCodes.USAGE, "--runs must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        try {
            Path dir = Files.createTempDirectory("vmtree-bench-lazy");
            try {
                Path src = dir.resolve("src");
                vm(null, null, "init", src.toString());
                List<String> imp = new ArrayList<>(List.of("image", "import-deb"));
                debs.forEach(d -> imp.add(d.toString()));
                vm(src, null, imp.toArray(String[]::new));
                vm(src, null, "create", "lx", "--image", "debian", "--memory", memory, "--disk-size", "64M", "--mkfs",
                        "ext4", "--clock-base", "2026-01-01T00:00:00Z");
                java.net.URI ep = endpoint == null ? null : dev.vmtree.dom0.remote.S3Settings.parseEndpoint(endpoint);
                try (var s3 = dev.vmtree.dom0.remote.S3Settings.client(
                        dev.vmtree.dom0.remote.S3Settings.fromEnvironment().resolve(ep, "s3://" + bucket))) {
                    BenchS3Command.ensureBucket(s3, bucket);
                }
                String url = "s3://" + bucket + "/lazy-" + System.nanoTime();
                List<String> add = new ArrayList<>(List.of("remote", "add", "bench", url));
                if (endpoint != null) {
                    add.addAll(List.of("--endpoint", endpoint));
                }
                vm(src, null, add.toArray(String[]::new));
                vm(src, null, "push", "bench", "lx");
                Start image = starts(dir, url, "lx", "the image (not booted)");
                // the booted machine, committed on its own branch: a start from it restores the shell's state
                boot(src, dir, "booted", System.nanoTime());
                vm(src, null, "commit", "-m", "booted");
                vm(src, null, "branch", "booted", "lx");
                vm(src, null, "push", "bench", "booted");
                Start booted = starts(dir, url, "booted", "the booted snapshot");
                out.printf("%d runs each; %s RAM + a 64 MiB ext4 disk; the image %.1f MB of chunk records, the booted"
                        + " snapshot %.1f MB; Java %s%n", runs, memory, image.bytes() / 1e6, booted.bytes() / 1e6,
                        Runtime.version());
            } finally {
                Benches.deleteTree(dir);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.CANNOT_RUN, "bench lazy: " + e.getMessage());
        }
    }

    /** Medians of one start (lazy and full) and the size of what a full clone fetched. */
    record Start(double lazy, double full, double share, long bytes) {}

    /** RUNS times: a full clone of BRANCH booted until its shell answers, then a lazy clone of it the same way. */
    private Start starts(Path dir, String url, String branch, String what) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        double[] lazy = new double[runs];
        double[] full = new double[runs];
        double[] share = new double[runs];
        long fullBytes = 0;
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            Path f = dir.resolve("full-" + branch + "-" + r);
            String cf = clone(url, f, false, branch);
            fullBytes = Long.parseLong(field(cf, "bytes"));
            full[r] = boot(f, dir, "full-" + r, t0);
            t0 = System.nanoTime();
            Path l = dir.resolve("lazy-" + branch + "-" + r);
            String cl = clone(url, l, true, branch);
            long nodes = Long.parseLong(field(cl, "bytes"));
            StringWriter err = new StringWriter();
            lazy[r] = boot(l, dir, "lazy-" + r, t0, err);
            Matcher m = FAULTED.matcher(err.toString());
            long faulted = m.find() ? Long.parseLong(m.group(2)) : 0;
            share[r] = (double) (nodes + faulted) / fullBytes;
            out.printf("%s, run %d: lazy clone + start to the shell's answer %.2f s (%.1f%% of %.1f MB fetched: %.2f MB of"
                    + " nodes at clone, %.2f MB faulted in); full clone + start %.2f s%n", what, r, lazy[r], 100 * share[r],
                    fullBytes / 1e6, nodes / 1e6, faulted / 1e6, full[r]);
            out.flush();
            Benches.deleteTree(f);
            Benches.deleteTree(l);
        }
        Start s = new Start(Benches.median(lazy), Benches.median(full), Benches.median(share), fullBytes);
        out.printf("median, %s: lazy start %.2f s, fetching %.1f%% of it; full clone then start %.2f s; ratio %.2fx%n", what,
                s.lazy(), 100 * s.share(), s.full(), s.full() / s.lazy());
        return s;
    }

    private String clone(String url, Path to, boolean lazy, String branch) {
        List<String> a = new ArrayList<>(List.of("--json", "clone"));
        if (lazy) {
            a.add("--lazy");
        }
        a.addAll(List.of(url, to.toString(), "--instance", "lx"));
        if (!branch.equals("lx")) {
            a.set(a.size() - 1, branch);
        }
        if (endpoint != null) {
            a.addAll(List.of("--endpoint", endpoint));
        }
        return vm(null, null, a.toArray(String[]::new));
    }

    private double boot(Path repo, Path dir, String marker, long t0) throws IOException {
        return boot(repo, dir, marker, t0, new StringWriter());
    }

    /** Runs the machine until its shell answers {@code echo MARKER}; seconds from {@code t0} to the answer. */
    private double boot(Path repo, Path dir, String marker, long t0, StringWriter err) throws IOException {
        Path in = Files.createTempFile(dir, "input", ".txt");
        Files.writeString(in, "\necho " + marker + "\n");
        long[] seen = {0};
        vm(repo, new BenchLinuxCommand.Watch(marker, seen), err, "run", "--input", in.toString(), "--idle", "2s",
                "--max-instructions", "10000000000");
        if (seen[0] == 0) {
            throw new CliException(ExitCodes.FAILURE, "bench lazy: the shell never answered " + marker);
        }
        return (seen[0] - t0) / 1e9;
    }

    private String vm(Path repo, Writer watch, String... args) {
        return vm(repo, watch, new StringWriter(), args);
    }

    private String vm(Path repo, Writer watch, StringWriter err, String... args) {
        List<String> all = new ArrayList<>();
        if (repo != null) {
            all.addAll(List.of("-C", repo.toString()));
        }
        all.addAll(Arrays.asList(args));
        StringWriter out = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setOut(new PrintWriter(watch == null ? out : new BenchLinuxCommand.Tee(out, watch), true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(all.toArray(String[]::new));
        if (exit != 0) {
            throw new CliException(ExitCodes.FAILURE, "bench lazy: vmtree " + String.join(" ", args) + " failed (" + exit
                    + "): " + err.toString().strip());
        }
        return out.toString();
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
        if (!m.find()) {
            throw new CliException(ExitCodes.FAILURE, "bench lazy: no " + name + " in " + json);
        }
        return m.group(1);
    }
}
