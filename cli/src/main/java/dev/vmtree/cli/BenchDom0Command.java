package dev.vmtree.cli;

import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
        description = "Benchmark branch, checkout and a 1%%-dirty commit of a real machine (RAM filled so every page"
                + " is stored) in-process and as whole CLI runs; medians beside `git branch` on the same meta.git.")
public final class BenchDom0Command implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--memory", paramLabel = "MIB", defaultValue = "256", description = "Guest RAM in MiB, every page filled. Default: ${DEFAULT-VALUE}.")
    int memoryMiB;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "20", description = "In-process runs. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--cli-runs", paramLabel = "N", defaultValue = "10", description = "Whole-process runs (vmtree and git). Default: ${DEFAULT-VALUE}.")
    int cliRuns;

    @Option(names = "--kernel", paramLabel = "FILE", description = "Guest to create the machine from (default: the"
            + " installation's guests/bin/hello.elf).")
    Path kernel;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Path program = kernel != null ? kernel
                : ImageCatalog.installed().home().map(h -> h.resolve("guests/bin/hello.elf")).orElse(null);
        if (program == null || !Files.isRegularFile(program)) {
            throw new CliException(ExitCodes.USAGE, "bench dom0 needs a guest: --kernel FILE");
        }
        try {
            Path dir = Files.createTempDirectory("vmtree-bench-dom0");
            try (Toolstack ts = Toolstack.init(dir)) {
                long bytes = (long) memoryMiB << 20;
                int pages = memoryMiB * 256;
                Machines machines = ts.machines();
                machines.create("vm", new MachineDriver.MachineSpec(bytes, 1, program, MachineDriver.Boot.SUPERVISOR_ELF,
                        null, null, 0, null, ""));
                fillRam(ts, machines, "vm");
                int warm = Math.max(3, runs / 5);
                int dirtyPages = Math.max(1, pages / 100);
                double[] branch = new double[runs];
                double[] checkout = new double[runs];
                double[] back = new double[runs];
                double[] delete = new double[runs];
                double[] persist = new double[runs];
                double[] commit = new double[runs];
                SplittableRandom rnd = new SplittableRandom(11);
                for (int r = -warm; r < runs; r++) {
                    String b = "b" + (r + warm);
                    long t0 = System.nanoTime();
                    ts.refs().createBranch(b, "vm");
                    long t1 = System.nanoTime();
                    ts.checkout("vm", b, false);
                    long t2 = System.nanoTime();
                    ts.checkout("vm", "vm", false);
                    long t3 = System.nanoTime();
                    ts.refs().deleteBranch(b, false);
                    long t4 = System.nanoTime();
                    long[] commitTimes = dirtyAndCommit(ts, machines, bytes, dirtyPages, rnd);
                    if (r >= 0) {
                        branch[r] = (t1 - t0) / 1e6;
                        checkout[r] = (t2 - t1) / 1e6;
                        back[r] = (t3 - t2) / 1e6;
                        delete[r] = (t4 - t3) / 1e6;
                        persist[r] = commitTimes[0] / 1e6;
                        commit[r] = commitTimes[1] / 1e6;
                    }
                }
                out.printf("machine with %d MiB RAM (%d pages, all non-zero); %d runs after %d warm-up; %d cores%n",
                        memoryMiB, pages, runs, warm, Runtime.getRuntime().availableProcessors());
                out.printf("in-process medians: branch create %.2f ms, checkout onto it %.2f ms, checkout back %.2f ms,"
                        + " branch delete %.2f ms%n", Benches.median(branch), Benches.median(checkout), Benches.median(back), Benches.median(delete));
                out.printf("1%% dirty (%d pages): suspend (persist dirty pages) %.2f ms, commit %.2f ms, together %.2f ms%n",
                        dirtyPages, Benches.median(persist), Benches.median(commit), Benches.median(sum(persist, commit)));
                String java = ProcessHandle.current().info().command().orElse("java");
                List<String> vm = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC",
                        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "-C", dir.toString(), "-q"));
                double[] cliBranch = new double[cliRuns];
                double[] cliCheckout = new double[cliRuns];
                double[] cliCommit = new double[cliRuns];
                double[] gitBranch = new double[cliRuns];
                for (int r = 0; r < cliRuns; r++) {
                    cliBranch[r] = time(with(vm, "branch", "cli" + r, "vm"));
                    cliCheckout[r] = time(with(vm, "checkout", "cli" + r));
                    time(with(vm, "checkout", "vm"));
                    dirty(ts, machines, bytes, dirtyPages, rnd);
                    cliCommit[r] = time(with(vm, "commit", "-m", "cli " + r));
                    gitBranch[r] = time(List.of("git", "--git-dir=" + ts.repository().gitDirectory(), "branch", "git" + r,
                            ts.refs().branchHead("vm").orElseThrow().hex()));
                }
                out.printf("whole-process medians over %d runs: vmtree branch %.1f ms, vmtree checkout %.1f ms,"
                        + " vmtree commit (1%% dirty) %.1f ms; git branch %.1f ms (branch ratio %.1fx)%n", cliRuns,
                        Benches.median(cliBranch), Benches.median(cliCheckout), Benches.median(cliCommit), Benches.median(gitBranch),
                        Benches.median(cliBranch) / Benches.median(gitBranch));
            } finally {
                Benches.deleteTree(dir);
            }
        } catch (IOException | InterruptedException e) {
            throw new CliException(ExitCodes.CANNOT_RUN, "bench dom0: " + e.getMessage(), e);
        }
    }

    /**
     * Replaces the machine's RAM by a full image (every page non-zero; the guest's own pages kept)
     * as a new snapshot on its branch, so that checkout and commit work against a whole-size tree.
     */
    private static void fillRam(Toolstack ts, Machines machines, String instance) {
        InstanceRecord r = ts.instances().get(instance);
        MachineDriver.StoredState base = machines.snapshotState(r.base());
        PageTreeRoot ram = base.images().get("ram");
        dev.vmtree.store.PageTree tree = ts.repository().pageTree(ram);
        try (WriteTransaction tx = ts.beginWrite()) {
            PageTreeRoot full = tx.buildTree(ram.size(), ram.pageSize(), i -> {
                byte[] p = tree.page(i);
                if (p != null && !Benches.isZero(p)) {
                    return p;
                }
                byte[] q = new byte[ram.pageSize()];
                new SplittableRandom(i).nextBytes(q);
                return q;
            });
            java.util.Map<String, PageTreeRoot> images = new java.util.HashMap<>(base.images());
            images.put("ram", full);
            SnapshotId id = tx.writeSnapshot(List.of(r.base()), new SnapshotContent(base.files(), images), "fill RAM");
            tx.updateRef("vm", r.base(), id, "bench: fill RAM");
            ts.instances().save(tx, new InstanceRecord(instance, id, r.branch(), machines.driver().stateId(
                    new MachineDriver.StoredState(base.files(), images)), null, r.created()));
        }
    }

    /** Dirties {@code n} random pages of the instance's RAM (one byte each) and suspends it. Returns the persist time. */
    private static long dirty(Toolstack ts, Machines machines, long bytes, int n, SplittableRandom rnd) {
        try (var session = ts.session("vm", "bench dom0")) {
            InstanceRecord r = session.record();
            try (MachineDriver.LiveMachine m = machines.open(r)) {
                for (int k = 0; k < n; k++) {
                    long page = rnd.nextLong(bytes / 4096);
                    m.writeMemory(0x8000_0000L + page * 4096 + rnd.nextInt(4096), new byte[] {(byte) (1 + rnd.nextInt(255))});
                }
                long t0 = System.nanoTime();
                machines.suspend(session, m, Machines.sinceBase(r));
                return System.nanoTime() - t0;
            }
        }
    }

    /** {persist ns, commit ns} of one 1%-dirty commit. */
    private static long[] dirtyAndCommit(Toolstack ts, Machines machines, long bytes, int n, SplittableRandom rnd) {
        long persist = dirty(ts, machines, bytes, n, rnd);
        long t0 = System.nanoTime();
        machines.commit("vm", "bench commit");
        return new long[] {persist, System.nanoTime() - t0};
    }

    private static List<String> with(List<String> base, String... args) {
        List<String> c = new ArrayList<>(base);
        c.addAll(List.of(args));
        return c;
    }

    private static double[] sum(double[] a, double[] b) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            s[i] = a[i] + b[i];
        }
        return s;
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
}
