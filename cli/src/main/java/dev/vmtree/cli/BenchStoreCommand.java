package dev.vmtree.cli;

import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.WriteTransaction;
import dev.vmtree.store.pack.ChunkCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench store}: the issue-2 benchmark. An image of --size bytes (a third zero pages,
 * a third random, a third low-entropy) is ingested into a fresh repository and committed (chunks
 * fsynced), then a version with 1% of its pages changed, then the first version is read back with
 * every page verified. Peers measured on the same bytes in the same run: sha256sum and the lz4 CLI.
 */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Benchmark the snapshot store: 1 GiB ingest, a 1%%-dirty version, read-back; medians beside sha256sum and lz4.")
public final class BenchStoreCommand implements Runnable {
    private static final int PAGE = 4096;

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "MIB", defaultValue = "1024", description = "Image size in MiB. Default: ${DEFAULT-VALUE}.")
    int sizeMiB;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs; medians are printed. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--dir", paramLabel = "DIR", description = "Scratch directory (default: a temporary directory, removed after).")
    Path scratch;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        int pages = (int) ((long) sizeMiB * (1 << 20) / PAGE);
        long size = (long) pages * PAGE;
        byte[][] image = makeImage(pages);
        int dirtyCount = Math.max(1, pages / 100);
        try {
            Path base = scratch != null ? Files.createDirectories(scratch) : Files.createTempDirectory("vmtree-bench");
            out.printf("after one untimed warm-up round on 64 MiB; image: %d MiB, %d pages (1/3 zero, 1/3 random, 1/3 low-entropy); %d dirty pages; %d runs; LZ4: %s; %d cores%n",
                    sizeMiB, pages, dirtyCount, runs, ChunkCodec.lz4Implementation(), Runtime.getRuntime().availableProcessors());
            warmUp(base);
            double[] ingest = new double[runs];
            double[] dirty = new double[runs];
            double[] dirtyTree = new double[runs];
            double[] dirtyFlush = new double[runs];
            double[] read = new double[runs];
            double[] open = new double[runs];
            long packBytes = 0;
            for (int r = 0; r < runs; r++) {
                Path dir = base.resolve("run" + r);
                Benches.deleteTree(dir);
                SplittableRandom rnd = new SplittableRandom(1000 + r);
                long[] dirtyPages = rnd.longs(dirtyCount * 2L, 0, pages).distinct().limit(dirtyCount).sorted().toArray();
                byte[][] v2 = image.clone();
                for (long d : dirtyPages) {
                    byte[] p = new byte[PAGE];
                    rnd.nextBytes(p);
                    v2[(int) d] = p;
                }
                PageTreeRoot v1;
                try (Repository repo = Repository.init(dir)) {
                    long t0 = System.nanoTime();
                    try (WriteTransaction tx = repo.beginWrite()) {
                        v1 = tx.buildTree(size, PAGE, i -> image[(int) i]);
                        tx.commit("main", SnapshotContent.ofImages(Map.of("ram", v1)), "v1");
                        packBytes = tx.chunks().storedBytes();
                    }
                    long t1 = System.nanoTime();
                    long tTree;
                    long tFlush;
                    try (WriteTransaction tx = repo.beginWrite()) {
                        PageTreeRoot v2root = tx.updateTree(v1, i -> v2[(int) i], dirtyPages);
                        tTree = System.nanoTime();
                        tx.flush();
                        tFlush = System.nanoTime();
                        tx.commit("main", SnapshotContent.ofImages(Map.of("ram", v2root)), "v2");
                    }
                    long t2 = System.nanoTime();
                    ingest[r] = (t1 - t0) / 1e6;
                    dirty[r] = (t2 - t1) / 1e6;
                    dirtyTree[r] = (tTree - t1) / 1e6;
                    dirtyFlush[r] = (tFlush - tTree) / 1e6;
                }
                long tOpen = System.nanoTime();
                try (Repository repo = Repository.open(dir)) {
                    open[r] = (System.nanoTime() - tOpen) / 1e6;
                    AtomicLong sum = new AtomicLong();
                    long t0 = System.nanoTime();
                    repo.pageTree(v1).readAll((i, p) -> sum.addAndGet(p[0]));
                    read[r] = (System.nanoTime() - t0) / 1e6;
                }
                out.printf("run %d: ingest %.0f ms (%.0f MB/s), 1%%-dirty version %.1f ms (tree %.1f, pack fsync+index %.1f, Git commit %.1f), open %.1f ms, read %.0f ms (%.0f MB/s)%n", r,
                        ingest[r], mbps(size, ingest[r]), dirty[r], dirtyTree[r], dirtyFlush[r],
                        dirty[r] - dirtyTree[r] - dirtyFlush[r], open[r], read[r], mbps(size, read[r]));
                out.flush();
                Benches.deleteTree(dir);
            }
            double mi = Benches.median(ingest);
            double md = Benches.median(dirty);
            double mr = Benches.median(read);
            out.printf("vmtree median: ingest %.0f ms = %.0f MB/s (target >= 600); 1%%-dirty version %.1f ms (target <= 100);"
                    + " read %.0f ms = %.0f MB/s (target >= 800); open %.1f ms; pack %d MB for %d MB%n",
                    mi, mbps(size, mi), md, mr, mbps(size, mr), Benches.median(open), packBytes / 1_000_000, size / 1_000_000);
            out.printf("vmtree best:   ingest %.0f MB/s; 1%%-dirty version %.1f ms; read %.0f MB/s%n",
                    mbps(size, min(ingest)), min(dirty), mbps(size, min(read)));
            peers(out, base, image, size);
            if (scratch == null) {
                Benches.deleteTree(base);
            }
        } catch (IOException e) {
            throw new CliException(4, "benchmark scratch directory failed: " + e.getMessage(), e);
        }
    }

    /** One untimed round on a 64 MiB image, so the timed runs measure compiled code, not the JIT. */
    private static void warmUp(Path base) throws IOException {
        byte[][] small = makeImage(16384);
        Path dir = base.resolve("warmup");
        Benches.deleteTree(dir);
        try (Repository repo = Repository.init(dir)) {
            PageTreeRoot v1;
            try (WriteTransaction tx = repo.beginWrite()) {
                v1 = tx.buildTree(16384L * PAGE, PAGE, i -> small[(int) i]);
                tx.commit("main", SnapshotContent.ofImages(Map.of("ram", v1)), "warm-up");
            }
            try (WriteTransaction tx = repo.beginWrite()) {
                PageTreeRoot v2 = tx.updateTree(v1, i -> small[(int) ((i + 1) % small.length)], new long[] {1, 2, 500, 9000});
                tx.commit("main", SnapshotContent.ofImages(Map.of("ram", v2)), "warm-up 2");
            }
            repo.pageTree(v1).readAll((i, p) -> {});
        }
        Benches.deleteTree(dir);
    }

    private void peers(PrintWriter out, Path base, byte[][] image, long size) throws IOException {
        Path raw = base.resolve("image.raw");
        try (OutputStream os = Files.newOutputStream(raw)) {
            byte[] zero = new byte[PAGE];
            for (byte[] p : image) {
                os.write(p == null ? zero : p);
            }
        }
        Path lz4 = base.resolve("image.lz4");
        List<String[]> cmds = List.of(
                new String[] {"sha256sum", raw.toString()},
                new String[] {"lz4", "-1", "-q", "-f", raw.toString(), lz4.toString()},
                new String[] {"lz4", "-d", "-q", "-f", lz4.toString(), "/dev/null"});
        for (String[] cmd : cmds) {
            double[] t = new double[runs];
            boolean ok = true;
            for (int r = 0; r < runs && ok; r++) {
                long t0 = System.nanoTime();
                ok = runPeer(cmd);
                t[r] = (System.nanoTime() - t0) / 1e6;
            }
            if (ok) {
                double m = Benches.median(t);
                out.printf("peer median: %-40s %.0f ms = %.0f MB/s (one core)%n", String.join(" ", cmd[0], cmd[1]), m, mbps(size, m));
            } else {
                out.printf("peer %s: not available%n", cmd[0]);
            }
        }
        Files.deleteIfExists(raw);
        Files.deleteIfExists(lz4);
    }

    private static boolean runPeer(String[] cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A third zero pages, a third random, a third low-entropy, interleaved. A low-entropy page is
     * 64 records of 64 bytes, like an array of structs: a fixed template with an 8-byte counter
     * and 2 random bytes per record.
     */
    static byte[][] makeImage(int pages) {
        byte[][] image = new byte[pages][];
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < pages; i++) {
            switch (i % 3) {
                case 0 -> image[i] = null;
                case 1 -> {
                    image[i] = new byte[PAGE];
                    rnd.nextBytes(image[i]);
                }
                default -> {
                    byte[] p = new byte[PAGE];
                    for (int rec = 0; rec < PAGE / 64; rec++) {
                        int o = rec * 64;
                        for (int j = 0; j < 64; j++) {
                            p[o + j] = (byte) (j * 3 % 251);
                        }
                        long counter = (long) i * 64 + rec;
                        for (int j = 0; j < 8; j++) {
                            p[o + 8 + j] = (byte) (counter >>> (8 * j));
                        }
                        p[o + 20] = (byte) rnd.nextInt(256);
                        p[o + 21] = (byte) rnd.nextInt(256);
                    }
                    image[i] = p;
                }
            }
        }
        return image;
    }

    private static double mbps(long bytes, double ms) {
        return bytes / 1e6 / (ms / 1e3);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
