package dev.vmtree.cow.bench;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.PageSource;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.cow.imageio.DiskFormat;
import dev.vmtree.cow.imageio.DiskImages;
import dev.vmtree.cow.store.PersistentImage;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The cow-disk benchmark (docs/performance.md, section "cow-disk"): freeze of a 4 GiB image, the
 * cost and extent of the first write after a freeze, import of a raw image beside
 * {@code qemu-img convert -O qcow2} of the same file, and a sequential read through an instance
 * lazily faulted in from the store beside {@code qemu-img bench} reading the same data as qcow2.
 * Every figure is a median of several runs. Wired as {@code vmtree bench cow}; also runnable as a main class.
 */
public final class CowBench {

    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    private static final int RAM_PAGE = 4096;

    /** Benchmark parameters: the raw image size, runs per figure, scratch directory (null: a temporary one). */
    public record Options(int importMiB, int runs, Path scratch) {}

    private CowBench() {}

    public static void main(String[] args) throws Exception {
        int importMiB = 1024;
        int runs = 5;
        Path scratch = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--import-mib" -> importMiB = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--dir" -> scratch = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrintWriter out = new PrintWriter(System.out, true);
        run(out, new Options(importMiB, runs, scratch));
    }

    public static void run(PrintWriter out, Options o) throws IOException, InterruptedException {
        out.printf("cow-disk bench: %d runs per figure, %d cores, max heap %d MiB%n", o.runs(),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / MIB);
        freeze(out);
        Path dir = o.scratch() != null ? Files.createDirectories(o.scratch()) : Files.createTempDirectory("vmtree-cow-bench");
        try {
            importAndRead(out, o, dir);
        } finally {
            if (o.scratch() == null) {
                deleteTree(dir);
            }
        }
        out.flush();
    }

    // ---- freeze and copy-on-write ----

    private static void freeze(PrintWriter out) {
        long size = 4 * GIB;
        int pages = (int) (size / RAM_PAGE);
        byte[] shared = new byte[RAM_PAGE];
        Arrays.fill(shared, (byte) 1);
        PageSource base = index -> shared;
        InMemoryPagedImage image = new InMemoryPagedImage(size, RAM_PAGE, base);
        for (long i = 0; i < pages; i++) {
            image.pageForRead(i); // every page present: every leaf of the table exists
        }
        for (long i = 0; i < pages; i += 64) {
            image.store(i * RAM_PAGE, 8, i); // and one page in 64 owned (16 MiB of private pages)
        }

        // Warm up first (the JIT compiles freeze and the write path), then measure.
        SplittableRandom rnd = new SplittableRandom(1);
        long[] freezeNs = new long[2001];
        long[] writeNs = new long[2001];
        for (int round = 0; round < 2; round++) {
            for (int r = 0; r < freezeNs.length; r++) {
                long t0 = System.nanoTime();
                image.freeze();
                freezeNs[r] = System.nanoTime() - t0;
                long page = rnd.nextLong(pages);
                t0 = System.nanoTime();
                image.store(page * RAM_PAGE, 8, r);
                writeNs[r] = System.nanoTime() - t0;
            }
        }
        // What freeze cost before the two-level table: cloning one reference per page.
        byte[][] flat = new byte[pages][];
        Arrays.fill(flat, shared);
        long[] flatNs = new long[201];
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            for (int r = 0; r < flatNs.length; r++) {
                long t0 = System.nanoTime();
                byte[][] copy = flat.clone();
                flatNs[r] = System.nanoTime() - t0;
                sink += copy.length;
            }
        }

        // Exactly one page copied: compare every page reference of a view with the image after one write.
        FrozenImage view = image.freeze();
        long target = 12_345;
        image.store(target * RAM_PAGE + 8, 8, -1);
        long differing = 0;
        for (long i = 0; i < pages; i++) {
            byte[] now = image.pageForRead(i);
            byte[] then = view.page(i);
            if (now != then) {
                differing++;
            }
        }
        out.printf("freeze, 4 GiB image of 4 KiB pages (1,048,576 pages present): median %.1f us (two-level table)%n", median(freezeNs) / 1e3);
        out.printf("  same run, cloning a flat table of 1,048,576 page references (the previous design): median %.1f us%n", median(flatNs) / 1e3);
        out.printf("first write after a freeze: median %.1f us; pages copied by one write after freeze: %d%n", median(writeNs) / 1e3, differing);
        if (sink == 0) {
            out.println();
        }
    }

    // ---- import, export, lazy read ----

    private static void importAndRead(PrintWriter out, Options o, Path dir) throws IOException, InterruptedException {
        long size = o.importMiB() * MIB;
        Path raw = dir.resolve("bench.raw");
        writeRandomFile(raw, size);
        out.printf("raw image: %d MiB of pseudo-random data (no zero blocks), in the page cache%n", o.importMiB());

        long[] importNs = new long[o.runs()];
        long[] persistNs = new long[o.runs()];
        long[] exportNs = new long[o.runs()];
        long[] qemuConvertNs = new long[o.runs()];
        PageTreeRoot root = null;
        Path repoDir = dir.resolve("repo");
        Path qcow2 = dir.resolve("qemu.qcow2");
        Path ours = dir.resolve("vmtree.qcow2");
        for (int r = 0; r < o.runs(); r++) {
            System.gc();
            long t0 = System.nanoTime();
            VirtualDisk disk = DiskImages.importImage(raw);
            importNs[r] = System.nanoTime() - t0;

            deleteTree(repoDir);
            Files.createDirectories(repoDir);
            try (Repository repo = Repository.init(repoDir); WriteTransaction tx = repo.beginWrite()) {
                t0 = System.nanoTime();
                root = PersistentImage.adopt(disk.image()).persist(tx).root();
                persistNs[r] = System.nanoTime() - t0;
            }

            Files.deleteIfExists(ours);
            t0 = System.nanoTime();
            DiskImages.export(disk.snapshot(), DiskFormat.QCOW2, ours);
            exportNs[r] = System.nanoTime() - t0;
            disk = null;

            Files.deleteIfExists(qcow2);
            t0 = System.nanoTime();
            exec("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
            qemuConvertNs[r] = System.nanoTime() - t0;
        }
        out.printf("import raw -> VirtualDisk (maps the file, reads no data): median %7.0f ms%n", median(importNs) / 1e6);
        out.printf("persist imported disk into the store:   median %7.0f ms, %6.0f MiB/s (file read + SHA-256 + LZ4 + pack fsync)%n", median(persistNs) / 1e6, rate(size, persistNs));
        out.printf("import + persist (raw file -> store):   %6.0f MiB/s%n", size / MIB / ((median(importNs) + median(persistNs)) / 1e9));
        out.printf("export VirtualDisk -> qcow2 file:       median %7.0f ms, %6.0f MiB/s%n", median(exportNs) / 1e6, rate(size, exportNs));
        out.printf("peer: qemu-img convert -f raw -O qcow2: median %7.0f ms, %6.0f MiB/s%n", median(qemuConvertNs) / 1e6, rate(size, qemuConvertNs));
        out.printf("ratio import + persist / qemu-img convert: %.2fx faster%n",
                (double) median(qemuConvertNs) / (median(importNs) + median(persistNs)));

        // Sequential read through a fresh, lazily faulted instance of the stored disk, 1 MiB per read.
        long[] lazyNs = new long[o.runs()];
        long[] plainNs = new long[o.runs()];
        long[] storeNs = new long[o.runs()];
        long[] qemuBenchNs = new long[o.runs()];
        byte[] buf = new byte[(int) MIB];
        try (Repository repo = Repository.open(repoDir)) {
            for (int r = 0; r < o.runs(); r++) {
                PersistentImage instance = PersistentImage.openDisk(repo, root);
                lazyNs[r] = sequentialRead(instance, size, buf);
                plainNs[r] = sequentialRead(PersistentImage.open(repo, root), size, buf);
                PageTree tree = repo.pageTree(root); // the store alone: read, decode and verify each block
                long s0 = System.nanoTime();
                for (long i = 0; i < root.pageCount(); i++) {
                    tree.page(i);
                }
                storeNs[r] = System.nanoTime() - s0;
                long t0 = System.nanoTime();
                exec("qemu-img", "bench", "-q", "-f", "qcow2", "-c", Long.toString(size / MIB), "-s", "1M", "-d", "1", qcow2.toString());
                qemuBenchNs[r] = System.nanoTime() - t0;
            }
        }
        out.printf("sequential read of a disk opened from the store (openDisk: pass-through, read-ahead %d blocks, verified): median %7.0f ms, %6.0f MiB/s%n",
                PersistentImage.DISK_READ_AHEAD, median(lazyNs) / 1e6, rate(size, lazyNs));
        out.printf("  same through open (RAM-style: faulted blocks cached in the heap, no read-ahead): median %7.0f ms, %6.0f MiB/s%n", median(plainNs) / 1e6, rate(size, plainNs));
        out.printf("  the store alone, PageTree.page for every block on one thread: median %7.0f ms, %6.0f MiB/s%n", median(storeNs) / 1e6, rate(size, storeNs));
        out.printf("peer: qemu-img bench -f qcow2 -c %d -s 1M -d 1 (sequential read of the qcow2): median %7.0f ms, %6.0f MiB/s%n",
                size / MIB, median(qemuBenchNs) / 1e6, rate(size, qemuBenchNs));
    }

    /** Reads a fresh instance front to back, 1 MiB per read; checks that every block was faulted exactly once. */
    private static long sequentialRead(PersistentImage instance, long size, byte[] buf) {
        VirtualDisk disk = new VirtualDisk(instance.image(), size);
        long t0 = System.nanoTime();
        for (long off = 0; off < size; off += buf.length) {
            disk.read(off, buf, 0, buf.length);
        }
        long ns = System.nanoTime() - t0;
        if (instance.faults() != size / VirtualDisk.BLOCK_SIZE) {
            throw new IllegalStateException("expected one fault per block, got " + instance.faults());
        }
        return ns;
    }

    private static void writeRandomFile(Path file, long size) throws IOException {
        SplittableRandom rnd = new SplittableRandom(42);
        ByteBuffer b = ByteBuffer.allocate((int) MIB);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long off = 0; off < size; off += MIB) {
                b.clear();
                while (b.hasRemaining()) {
                    b.putLong(rnd.nextLong() | 1); // never an all-zero block
                }
                b.flip();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
    }

    private static void exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed");
        }
    }

    private static long median(long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double rate(long bytes, long[] ns) {
        return bytes / (double) MIB / (median(ns) / 1e9);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
