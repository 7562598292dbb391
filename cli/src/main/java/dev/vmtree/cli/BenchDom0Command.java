package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench dom0}: the toolstack's ref and instance moves on a repository holding a
 * machine-sized snapshot, in-process and as whole CLI invocations, beside {@code git branch} on the
 * same meta.git. Figures go to docs/performance.md ("Dom0").
 */
@Command(name = "dom0", mixinStandardHelpOptions = true,
        description = "Benchmark branch create/delete and instance checkout (record moves) in-process and as whole"
                + " CLI runs; median beside `git branch` on the same meta.git.")
public final class BenchDom0Command implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--memory", paramLabel = "MIB", defaultValue = "256", description = "RAM image size in MiB (1%% of pages non-zero). Default: ${DEFAULT-VALUE}.")
    int memoryMiB;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "50", description = "In-process runs. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--cli-runs", paramLabel = "N", defaultValue = "10", description = "Whole-process runs (vmtree and git). Default: ${DEFAULT-VALUE}.")
    int cliRuns;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        try {
            Path dir = Files.createTempDirectory("vmtree-bench-dom0");
            try (Toolstack ts = Toolstack.init(dir)) {
                int pages = memoryMiB * 256;
                SplittableRandom rnd = new SplittableRandom(7);
                SnapshotId root;
                try (WriteTransaction tx = ts.beginWrite()) {
                    PageTreeRoot ram = tx.buildTree((long) pages * 4096, 4096, i -> {
                        if (i % 100 != 0) {
                            return null;
                        }
                        byte[] p = new byte[4096];
                        new SplittableRandom(i).nextBytes(p);
                        return p;
                    });
                    root = tx.writeSnapshot(List.of(), SnapshotContent.ofImages(Map.of("ram", ram)), "root");
                    tx.updateRef("main", null, root, "bench: root");
                    ts.instances().add(tx, new InstanceRecord("vm1", root, "main", null, null, Instant.now()));
                }
                int warm = Math.max(10, runs / 5);
                double[] branch = new double[runs];
                double[] checkout = new double[runs];
                double[] back = new double[runs];
                double[] delete = new double[runs];
                for (int r = -warm; r < runs; r++) {
                    String b = "b" + (r + warm);
                    long t0 = System.nanoTime();
                    ts.refs().createBranch(b, "main");
                    long t1 = System.nanoTime();
                    ts.checkout("vm1", b, false);
                    long t2 = System.nanoTime();
                    ts.checkout("vm1", "main", false);
                    long t3 = System.nanoTime();
                    ts.refs().deleteBranch(b, false);
                    long t4 = System.nanoTime();
                    if (r >= 0) {
                        branch[r] = (t1 - t0) / 1e6;
                        checkout[r] = (t2 - t1) / 1e6;
                        back[r] = (t3 - t2) / 1e6;
                        delete[r] = (t4 - t3) / 1e6;
                    }
                }
                out.printf("repository with one %d MiB RAM snapshot (%d pages, 1%% non-zero); %d runs after %d warm-up;"
                        + " %d cores%n", memoryMiB, pages, runs, warm, Runtime.getRuntime().availableProcessors());
                out.printf("in-process medians: branch create %.2f ms, checkout onto it %.2f ms, checkout back %.2f ms,"
                        + " branch delete %.2f ms%n", median(branch), median(checkout), median(back), median(delete));
                String java = ProcessHandle.current().info().command().orElse("java");
                List<String> vm = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC",
                        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "-C", dir.toString()));
                double[] cliBranch = new double[cliRuns];
                double[] gitBranch = new double[cliRuns];
                for (int r = 0; r < cliRuns; r++) {
                    List<String> c = new ArrayList<>(vm);
                    c.addAll(List.of("-q", "branch", "cli" + r, "main"));
                    cliBranch[r] = time(c);
                    gitBranch[r] = time(List.of("git", "--git-dir=" + ts.repository().gitDirectory(), "branch", "git" + r,
                            root.hex()));
                }
                out.printf("whole-process medians over %d runs: vmtree branch %.1f ms, git branch %.1f ms (ratio %.1fx)%n",
                        cliRuns, median(cliBranch), median(gitBranch), median(cliBranch) / median(gitBranch));
            } finally {
                delete(dir);
            }
        } catch (IOException | InterruptedException e) {
            throw new CliException(ExitCodes.CANNOT_RUN, "bench dom0: " + e.getMessage(), e);
        }
    }

    private static double time(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int rc = p.waitFor();
        long t1 = System.nanoTime();
        if (rc != 0) {
            throw new IOException("exit status " + rc + " from " + String.join(" ", command.subList(0, Math.min(3, command.size()))));
        }
        return (t1 - t0) / 1e6;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
