package dev.vmtree.cli;

import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.Remotes;
import dev.vmtree.dom0.Sync;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.remote.S3Settings;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.Transfer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code vmtree bench s3}: issue 17's push and clone throughput to an S3 server. Per run, a fresh
 * repository holds a machine whose RAM is the image (--size MiB of random pages, as {@code bench
 * remote} makes it), committed; it is pushed to a fresh prefix of the bucket and cloned from there
 * into a fresh repository, through {@link Sync} as the commands do. The peer, in the same run on
 * the same bytes: the same S3 client uploading the image as one raw file (one PUT) and downloading
 * it again.
 */
@Command(name = "s3", mixinStandardHelpOptions = true,
        description = "Benchmark push and clone of a golden image to an S3 bucket, beside the S3 client's own upload and"
                + " download of the same bytes as one file. Credentials and endpoint as for s3:// remotes"
                + " (docs/remotes.md, \"Object stores\"); bench/s3.sh runs it against S3Proxy on 127.0.0.1.")
public final class BenchS3Command implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--bucket", paramLabel = "BUCKET", required = true,
            description = "The bucket to use (created when absent); each run writes under a fresh prefix of it.")
    String bucket;

    @Option(names = "--endpoint", paramLabel = "URL", description = RemoteCommands.ENDPOINT)
    String endpoint;

    @Option(names = "--size", paramLabel = "MIB", defaultValue = "256", description = "Image (RAM) size in MiB, at least 4."
            + " Default: ${DEFAULT-VALUE}.")
    int sizeMiB;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs; medians are printed. Default: ${DEFAULT-VALUE}.")
    int runs;

    record Round(double pushMs, long pushBytes, double cloneMs, long cloneBytes, double putMs, double getMs) {}

    @Override
    public void run() {
        if (sizeMiB < 4 || runs < 1) {
            throw new CliException(ExitCodes.USAGE, "bench s3 needs --size of at least 4 (MiB) and --runs of at least 1");
        }
        URI ep = endpoint == null ? null : S3Settings.parseEndpoint(endpoint);
        PrintWriter out = spec.commandLine().getOut();
        int pages = sizeMiB * (1 << 20) / BenchRemoteCommand.PAGE;
        try (S3Client s3 = S3Settings.client(S3Settings.fromEnvironment().resolve(ep, "s3://" + bucket))) {
            ensureBucket(s3, bucket);
            Path base = Files.createTempDirectory("vmtree-bench-s3");
            Path program = base.resolve("guest.bin");
            Files.write(program, BenchCoreCommand.shutdownProgram());
            BenchRemoteCommand.Image[] image = {null};
            round(base.resolve("warmup"), program, s3, ep, "warmup-" + System.nanoTime(), Math.min(pages, 4096), null);
            Round[] rounds = new Round[runs];
            for (int r = 0; r < runs; r++) {
                rounds[r] = round(base.resolve("run" + r), program, s3, ep, "run-" + System.nanoTime(), pages, image);
                if (r == 0) {
                    out.printf("after one untimed warm-up round on %d MiB; image: %d MiB of RAM of a machine, random pages;"
                            + " remote: s3://%s/PREFIX at %s; %d runs; %d cores%n", Math.min(pages, 4096) * 4096 >> 20, sizeMiB,
                            bucket, ep == null ? "the AWS settings' endpoint" : ep, runs, Runtime.getRuntime().availableProcessors());
                }
                Round x = rounds[r];
                out.printf("run %d: push %.0f ms (%.0f MB/s), clone %.0f ms (%.0f MB/s); the S3 client: PUT %.0f ms (%.0f MB/s),"
                        + " GET %.0f ms (%.0f MB/s)%n", r, x.pushMs(), mbps(pages, x.pushMs()), x.cloneMs(),
                        mbps(pages, x.cloneMs()), x.putMs(), mbps(pages, x.putMs()), x.getMs(), mbps(pages, x.getMs()));
                out.flush();
            }
            double push = median(rounds, Round::pushMs);
            double clone = median(rounds, Round::cloneMs);
            double put = median(rounds, Round::putMs);
            double get = median(rounds, Round::getMs);
            out.printf("vmtree median: push %.0f ms = %.0f MB/s (%.2f MB of chunk records), clone %.0f ms = %.0f MB/s%n", push,
                    mbps(pages, push), median(rounds, Round::pushBytes) / 1e6, clone, mbps(pages, clone));
            out.printf("S3 client median: one-file PUT of the raw image %.0f ms = %.0f MB/s, GET %.0f ms = %.0f MB/s%n", put,
                    mbps(pages, put), get, mbps(pages, get));
            out.printf("ratio: push throughput %.2fx the client's upload, clone %.2fx its download%n", put / push, get / clone);
            Benches.deleteTree(base);
        } catch (IOException e) {
            throw new CliException(ExitCodes.CANNOT_RUN, "bench s3: " + e.getMessage(), e);
        }
    }

    private Round round(Path dir, Path program, S3Client s3, URI ep, String prefix, int pages,
                        BenchRemoteCommand.Image[] image) throws IOException {
        Benches.deleteTree(dir);
        Files.createDirectories(dir);
        long bytes = (long) pages * BenchRemoteCommand.PAGE;
        String url = "s3://" + bucket + "/" + prefix;
        String epText = ep == null ? null : ep.toString();
        Round round;
        try (Toolstack ts = Toolstack.init(dir.resolve("source"))) {
            ts.machines().create(BenchRemoteCommand.NAME, new MachineDriver.MachineSpec(bytes, 1, program,
                    MachineDriver.Boot.SUPERVISOR_ELF, null, null, 0, null, ""));
            BenchRemoteCommand.Image img = image != null && image[0] != null ? image[0]
                    : BenchRemoteCommand.Image.over(BenchRemoteCommand.ramOf(ts), pages, 42);
            if (image != null) {
                image[0] = img;
            }
            SnapshotId v1 = BenchRemoteCommand.commitRam(ts, tx -> tx.buildTree(bytes, BenchRemoteCommand.PAGE,
                    i -> img.v1()[(int) i]), "the image");
            new Remotes(ts).add("bench", url, epText);
            long t0 = System.nanoTime();
            Transfer.Result pushed = new Sync(ts).push("bench", List.of(BenchRemoteCommand.NAME), false,
                    new Transfer.Counters()).result();
            double pushMs = BenchRemoteCommand.ms(t0);
            if (pushed.anyRejected()) {
                throw new CliException(ExitCodes.FAILURE, "bench s3: the remote refused the push: " + pushed.refs());
            }
            t0 = System.nanoTime();
            long cloneBytes;
            try (Toolstack cts = Toolstack.init(dir.resolve("clone"))) {
                Transfer.Result res = new Sync(cts).cloneFrom(url, epText, null, new Transfer.Counters()).result();
                cloneBytes = res.bytes();
                if (!v1.equals(cts.repository().refs().get("refs/heads/" + BenchRemoteCommand.NAME))) {
                    throw new CliException(ExitCodes.FAILURE, "bench s3: the clone did not arrive at the image");
                }
            }
            double cloneMs = BenchRemoteCommand.ms(t0);

            Path raw = dir.resolve("image.raw");
            try (OutputStream o = Files.newOutputStream(raw)) {
                for (byte[] p : img.v1()) {
                    o.write(p);
                }
            }
            String key = prefix + "-peer/image.raw";
            t0 = System.nanoTime();
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(raw));
            double putMs = BenchRemoteCommand.ms(t0);
            Path back = dir.resolve("image.back");
            t0 = System.nanoTime();
            s3.getObject(b -> b.bucket(bucket).key(key), ResponseTransformer.toFile(back));
            double getMs = BenchRemoteCommand.ms(t0);
            if (Files.mismatch(raw, back) != -1) {
                throw new CliException(ExitCodes.FAILURE, "bench s3: the S3 client's download differs from its upload");
            }
            round = new Round(pushMs, pushed.bytes(), cloneMs, cloneBytes, putMs, getMs);
        }
        Benches.deleteTree(dir);
        return round;
    }

    /** Makes {@code bucket} when the server has no bucket of that name (a benchmark's scratch). */
    static void ensureBucket(S3Client s3, String bucket) {
        if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }

    private static double mbps(int pages, double ms) {
        return BenchRemoteCommand.mbps((long) pages * BenchRemoteCommand.PAGE, ms);
    }

    private static double median(Round[] rounds, ToDoubleFunction<Round> f) {
        double[] v = new double[rounds.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(rounds[i]);
        }
        return Benches.median(v);
    }
}
