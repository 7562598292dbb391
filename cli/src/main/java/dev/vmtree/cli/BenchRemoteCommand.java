package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Sync;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.Bundle;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.WriteTransaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench remote}: issue 16's benchmark. Per run, a fresh repository holds a machine
 * whose RAM is the image (--size MiB of random pages; the guest's own few pages kept), committed;
 * it is pushed to an empty path (which becomes a bare store), cloned from there into a fresh
 * repository and bundled; then 1% of its pages are rewritten with random bytes and committed, and
 * the update is pushed, pulled into the clone and bundled thin against the first snapshot. All of
 * it through {@link Sync} and {@link Bundle}, as the commands do. Beside it in the same run: the
 * store's own ingest of the same image, and the peers of {@link RemotePeers} on the same bytes.
 */
@Command(name = "remote", mixinStandardHelpOptions = true,
        description = "Benchmark push, clone, pull and bundle of a golden image and of a 1%%-page update to it, on a local"
                + " path remote; bytes moved and medians beside rsync --no-whole-file (-B4096) and an incremental"
                + " git bundle of the same raw bytes.")
public final class BenchRemoteCommand implements Runnable {
    static final int PAGE = 4096;
    /** The machine's instance and branch: what is pushed, cloned and pulled. */
    static final String NAME = "golden";

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "MIB", defaultValue = "256", description = "Image (RAM) size in MiB, at least 4."
            + " Default: ${DEFAULT-VALUE}.")
    int sizeMiB;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs; medians are printed. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--dir", paramLabel = "DIR", description = "Scratch directory (default: a temporary directory, removed after).")
    Path scratch;

    @Option(names = "--keep", description = "With --dir: leave DIR/golden (the last run's source repository, branch golden"
            + " at the update, golden~1 the image), DIR/golden-v1.bundle (the image's full bundle) and"
            + " DIR/image-v1.raw, DIR/image-v2.raw (the same bytes raw) for bench/remote.sh.")
    boolean keep;

    @Option(names = "--no-peers", description = "Measure vmtree only (bench/remote.sh runs the peers itself, as processes).")
    boolean noPeers;

    /** The image, its update, and which pages the update rewrote. */
    record Image(byte[][] v1, byte[][] v2, long[] dirty, int guestPages) {
        long bytes() {
            return (long) v1.length * PAGE;
        }

        long dirtyBytes() {
            return (long) dirty.length * PAGE;
        }

        /**
         * Random pages (seeded) wherever the freshly created machine's RAM {@code ram} is zero, its own
         * pages elsewhere, so the guest still runs; 1% of the other pages rewritten with random bytes.
         */
        static Image over(PageTree ram, int pages, long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            byte[][] v1 = new byte[pages][];
            boolean[] guest = new boolean[pages];
            int guestPages = 0;
            for (int i = 0; i < pages; i++) {
                byte[] p = ram.page(i);
                guest[i] = p != null && !Benches.isZero(p);
                guestPages += guest[i] ? 1 : 0;
                v1[i] = guest[i] ? p : new byte[PAGE];
                if (!guest[i]) {
                    rnd.nextBytes(v1[i]);
                }
            }
            int dirtyCount = Math.max(1, pages / 100);
            long[] dirty = rnd.longs(dirtyCount * 4L, 0, pages).filter(i -> !guest[(int) i]).distinct().limit(dirtyCount)
                    .sorted().toArray();
            byte[][] v2 = v1.clone();
            for (long d : dirty) {
                byte[] p = new byte[PAGE];
                rnd.nextBytes(p);
                v2[(int) d] = p;
            }
            return new Image(v1, v2, dirty, guestPages);
        }
    }

    /**
     * One timed step: {@code bytes} arrived on the receiving side ({@code added} says where; a
     * bundle: its file), of which {@code records} are the {@code chunks}' records as the transfer counted them.
     */
    record Step(double ms, long bytes, long records, long chunks, FileSizes.Added added) {}

    /** One run's figures. */
    record Round(double ingestMs, Step push, Step cloned, Step bundle, Step pushUpdate, Step pull, Step thin) {}

    @Override
    public void run() {
        if (sizeMiB < 4 || runs < 1) {
            throw new CliException(ExitCodes.USAGE, "bench remote needs --size of at least 4 (MiB) and --runs of at least 1");
        }
        if (keep && scratch == null) {
            throw new CliException(ExitCodes.USAGE, "--keep leaves files in --dir DIR: give --dir");
        }
        PrintWriter out = spec.commandLine().getOut();
        int pages = sizeMiB * (1 << 20) / PAGE;
        try {
            Path base = scratch != null ? Files.createDirectories(scratch.toAbsolutePath()) : Files.createTempDirectory("vmtree-bench-remote");
            Path program = base.resolve("guest.bin");
            Files.write(program, BenchCoreCommand.shutdownProgram());
            int warmPages = Math.min(pages, 4096);
            round(base.resolve("warmup"), program, null, warmPages, null);
            Image[] image = {null};
            Round[] rounds = new Round[runs];
            for (int r = 0; r < runs; r++) {
                rounds[r] = round(base.resolve("run" + r), program, image, pages, keep && r == runs - 1 ? base : null);
                if (r == 0) {
                    out.printf("after one untimed warm-up round on %d MiB; image: %d MiB of RAM of a machine, %d pages of random"
                            + " bytes (%d of them the guest's own); update: %d pages (1%%) rewritten with random bytes, %.2f MB;"
                            + " remote: a local path (a bare store); %d runs; %d cores%n", warmPages * PAGE >> 20, sizeMiB, pages,
                            image[0].guestPages(), image[0].dirty().length, image[0].dirtyBytes() / 1e6, runs,
                            Runtime.getRuntime().availableProcessors());
                }
                printRound(out, r, rounds[r], image[0].bytes());
                out.flush();
            }
            Image img = image[0];
            long bytes = img.bytes();
            double ingest = median(rounds, Round::ingestMs);
            out.printf("vmtree median: store ingest of the image %.0f ms = %.0f MB/s (a fresh repository, as bench store)%n",
                    ingest, mbps(bytes, ingest));
            printStep(out, "push", rounds, Round::push, bytes);
            printStep(out, "clone", rounds, Round::cloned, bytes);
            printStep(out, "bundle create", rounds, Round::bundle, bytes);
            printStep(out, "push of the update", rounds, Round::pushUpdate, 0);
            printStep(out, "pull of the update", rounds, Round::pull, 0);
            printStep(out, "bundle create --base (thin)", rounds, Round::thin, 0);
            RemotePeers.Figures peers = noPeers && !keep ? new RemotePeers.Figures(0)
                    : new RemotePeers(out, base, runs).run(img, keep, !noPeers);
            double clone = median(rounds, r -> r.cloned().ms());
            double push2 = median(rounds, r -> r.pushUpdate().ms());
            double pushed = median(rounds, r -> r.pushUpdate().bytes());
            double pulled = median(rounds, r -> r.pull().bytes());
            out.printf("target: full clone %.0f MB/s = %.2fx the store's ingest in the same run (target >= 1x)%n",
                    mbps(bytes, clone), ingest / clone);
            out.printf("target: push of the update %.0f ms (target <= 300 ms), pull %.0f ms%n", push2,
                    median(rounds, r -> r.pull().ms()));
            if (peers.rsyncB4096Sent() > 0) {
                out.printf("target: the update moves %.2f MB by push = %.2fx, %.2f MB by pull = %.2fx the bytes rsync -B4096"
                        + " sent (%.2f MB; target <= 1x)%n", pushed / 1e6, pushed / peers.rsyncB4096Sent(), pulled / 1e6,
                        pulled / peers.rsyncB4096Sent(), peers.rsyncB4096Sent() / 1e6);
            }
            if (scratch == null) {
                Benches.deleteTree(base);
            } else {
                Files.deleteIfExists(program);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.CANNOT_RUN, "bench remote: " + e.getMessage(), e);
        }
    }

    /**
     * One run in {@code dir} (removed after): ingest, then the image's push, clone and bundle, then
     * the update's. {@code image[0]} is made from the first machine when null (a fresh one, not
     * kept, when {@code image} is null: the warm-up). With {@code keepTo}, the source repository and
     * the full bundle are moved there.
     */
    private Round round(Path dir, Path program, Image[] image, int pages, Path keepTo) throws IOException {
        Benches.deleteTree(dir);
        Files.createDirectories(dir);
        Path source = dir.resolve("source");
        Path remote = dir.resolve("remote");
        Path clone = dir.resolve("clone");
        Path full = dir.resolve("full.bundle");
        Path thin = dir.resolve("thin.bundle");
        long bytes = (long) pages * PAGE;
        Round round;
        try (Toolstack ts = Toolstack.init(source)) {
            Machines machines = ts.machines();
            machines.create(NAME, new MachineDriver.MachineSpec(bytes, 1, program, MachineDriver.Boot.SUPERVISOR_ELF,
                    null, null, 0, null, ""));
            Image img = image != null && image[0] != null ? image[0] : Image.over(ramOf(ts), pages, 42);
            if (image != null) {
                image[0] = img;
            }
            double ingest = ingest(dir.resolve("ingest"), img);
            SnapshotId v1 = commitRam(ts, tx -> tx.buildTree(bytes, PAGE, i -> img.v1()[(int) i]), "the image");

            Step push = push(ts, remote);
            FileSizes beforeClone = FileSizes.of(clone);
            long t0 = System.nanoTime();
            try (Toolstack cts = Toolstack.init(clone)) {
                Transfer.Result res = new Sync(cts).cloneFrom(remote.toString(), null, new Transfer.Counters()).result();
                Step cloned = new Step(ms(t0), 0, res.bytes(), res.chunks(), FileSizes.of(clone).since(beforeClone));
                Step bundle = bundle(ts, full, v1, List.of());

                PageTreeRoot ram1 = machines.snapshotState(v1).images().get("ram");
                SnapshotId v2 = commitRam(ts, tx -> tx.updateTree(ram1, i -> img.v2()[(int) i], img.dirty()), "1% update");
                Step pushUpdate = push(ts, remote);
                FileSizes beforePull = FileSizes.of(clone);
                t0 = System.nanoTime();
                Sync.Outcome pulled = new Sync(cts).pull("origin", NAME, new Transfer.Counters());
                Step pull = new Step(ms(t0), 0, pulled.result().bytes(), pulled.result().chunks(),
                        FileSizes.of(clone).since(beforePull));
                Step thinBundle = bundle(ts, thin, v2, List.of(v1));
                if (!v2.equals(cts.repository().refs().get("refs/heads/" + NAME)) || !v2.equals(pulled.instance().base())) {
                    throw new CliException(ExitCodes.FAILURE, "bench remote: the clone did not arrive at the update");
                }
                round = new Round(ingest, push, sized(cloned), bundle, pushUpdate, sized(pull), thinBundle);
            }
        }
        if (keepTo != null) {
            Benches.deleteTree(keepTo.resolve(NAME));
            Files.move(source, keepTo.resolve(NAME));
            Files.move(full, keepTo.resolve(NAME + "-v1.bundle"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Benches.deleteTree(dir);
        return round;
    }

    /** The step with its bytes set to what arrived on disk. */
    private static Step sized(Step s) {
        return new Step(s.ms(), s.added().total(), s.records(), s.chunks(), s.added());
    }

    private static Step push(Toolstack ts, Path remote) throws IOException {
        FileSizes before = FileSizes.of(remote);
        long t0 = System.nanoTime();
        Transfer.Result res = new Sync(ts).push(remote.toString(), List.of(NAME), false, new Transfer.Counters()).result();
        double ms = ms(t0);
        if (res.anyRejected()) {
            throw new CliException(ExitCodes.FAILURE, "bench remote: the remote refused the push: " + res.refs());
        }
        return sized(new Step(ms, 0, res.bytes(), res.chunks(), FileSizes.of(remote).since(before)));
    }

    private static Step bundle(Toolstack ts, Path file, SnapshotId tip, List<SnapshotId> bases) {
        long t0 = System.nanoTime();
        Bundle.Summary s = Bundle.create(ts.repository(), file, Map.of("refs/heads/" + NAME, tip), bases);
        return new Step(ms(t0), s.fileBytes(), s.header().packBytes(), s.header().chunks(), null);
    }

    /** The store's ingest of the same image, as bench store measures it: page tree, pack fsync, commit. */
    static double ingest(Path dir, Image img) {
        try (Repository repo = Repository.init(dir)) {
            long t0 = System.nanoTime();
            try (WriteTransaction tx = repo.beginWrite()) {
                PageTreeRoot root = tx.buildTree(img.bytes(), PAGE, i -> img.v1()[(int) i]);
                tx.commit("main", SnapshotContent.ofImages(Map.of("ram", root)), "ingest");
            }
            return ms(t0);
        } finally {
            try {
                Benches.deleteTree(dir);
            } catch (IOException ignored) {
                // removed with the run's directory
            }
        }
    }

    static PageTree ramOf(Toolstack ts) {
        InstanceRecord r = ts.instances().get(NAME);
        return ts.repository().pageTree(ts.machines().snapshotState(r.base()).images().get("ram"));
    }

    /**
     * A snapshot of the machine with its RAM replaced by {@code ram} (a child of the instance's base,
     * its branch and instance moved there): how an image is made here without a ReplayLog event per
     * page, which a {@code mem write} would add (and a transfer would carry).
     */
    static SnapshotId commitRam(Toolstack ts, Function<WriteTransaction, PageTreeRoot> ram, String message) {
        InstanceRecord r = ts.instances().get(NAME);
        MachineDriver.StoredState base = ts.machines().snapshotState(r.base());
        try (WriteTransaction tx = ts.beginWrite()) {
            Map<String, PageTreeRoot> images = new HashMap<>(base.images());
            images.put("ram", ram.apply(tx));
            SnapshotId id = tx.writeSnapshot(List.of(r.base()), new SnapshotContent(base.files(), images), message);
            tx.updateRef(NAME, r.base(), id, "bench remote: " + message);
            ts.instances().save(tx, r.withBase(id, ts.machines().driver().stateId(
                    new MachineDriver.StoredState(base.files(), images))));
            return id;
        }
    }

    private static void printRound(PrintWriter out, int r, Round x, long bytes) {
        out.printf("run %d: ingest %.0f ms (%.0f MB/s); push %.0f ms, clone %.0f ms (%.0f MB/s), bundle %.0f ms;"
                        + " update: push %.1f ms, pull %.1f ms, thin bundle %.1f ms%n", r, x.ingestMs(), mbps(bytes, x.ingestMs()),
                x.push().ms(), x.cloned().ms(), mbps(bytes, x.cloned().ms()), x.bundle().ms(), x.pushUpdate().ms(),
                x.pull().ms(), x.thin().ms());
    }

    /** A step's medians: time (and MB/s of the image when {@code bytes} is given), bytes, and where they went. */
    private static void printStep(PrintWriter out, String what, Round[] rounds, Function<Round, Step> step, long bytes) {
        double ms = median(rounds, r -> step.apply(r).ms());
        double moved = median(rounds, r -> step.apply(r).bytes());
        Step first = step.apply(rounds[0]);
        String rate = bytes > 0 ? String.format(" = %.0f MB/s", mbps(bytes, ms)) : "";
        String where = first.added() == null
                ? String.format("the file; chunk records %.2f MB (%d chunks)", first.records() / 1e6, first.chunks())
                : String.format("new on the receiving side: packs + indexes %.2f MB, Git objects %.1f kB, other %.1f kB;"
                        + " chunk records moved %.2f MB (%d chunks)", first.added().chunks() / 1e6, first.added().git() / 1e3,
                        first.added().other() / 1e3, first.records() / 1e6, first.chunks());
        out.printf("vmtree median: %-28s %8.1f ms%s; %.2f MB moved (%s)%n", what, ms, rate, moved / 1e6, where);
    }

    private static double median(Round[] rounds, ToDoubleFunction<Round> f) {
        double[] v = new double[rounds.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(rounds[i]);
        }
        return Benches.median(v);
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    static double mbps(long bytes, double ms) {
        return bytes / 1e6 / (ms / 1e3);
    }
}
