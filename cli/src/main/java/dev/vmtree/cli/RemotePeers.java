package dev.vmtree.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The peers of {@code vmtree bench remote}, run as processes in the same run on the same bytes
 * written as raw files: rsync of the image to an empty directory, rsync of the update onto a copy
 * of the image (--no-whole-file, and with -B4096; bytes as its --stats report them), and git with
 * the raw image committed and then the update: {@code git bundle create} of the image and of
 * v1..main. A peer that is not installed is reported so, as bench store does.
 */
final class RemotePeers {
    private static final Pattern SENT = Pattern.compile("Total bytes sent: ([0-9,.]+)");
    private static final Pattern RECEIVED = Pattern.compile("Total bytes received: ([0-9,.]+)");
    private static final Pattern LITERAL = Pattern.compile("Literal data: ([0-9,.]+)");
    private static final Pattern MATCHED = Pattern.compile("Matched data: ([0-9,.]+)");

    /** What the targets compare with: the bytes rsync -B4096 sent for the update (0: not measured). */
    record Figures(long rsyncB4096Sent) {}

    private record Run(int status, String output, double ms) {}

    private final PrintWriter out;
    private final Path base;
    private final int runs;

    RemotePeers(PrintWriter out, Path base, int runs) {
        this.out = out;
        this.base = base;
        this.runs = runs;
    }

    /**
     * Writes the raw files (DIR/image-v1.raw and image-v2.raw, left there with {@code keep}) and, with
     * {@code measure}, measures every peer on them.
     */
    Figures run(BenchRemoteCommand.Image img, boolean keep, boolean measure) throws IOException {
        Path v1 = base.resolve("image-v1.raw");
        Path v2 = base.resolve("image-v2.raw");
        write(v1, img.v1());
        write(v2, img.v2());
        Path work = base.resolve("peers");
        Benches.deleteTree(work);
        Files.createDirectories(work);
        long sent = 0;
        try {
            if (!measure) {
                return new Figures(0);
            }
            if (available("rsync", "--version")) {
                rsyncFull(v1, work, img.bytes());
                rsyncUpdate(List.of("--no-whole-file"), v1, v2, work);
                sent = rsyncUpdate(List.of("--no-whole-file", "-B4096"), v1, v2, work);
            } else {
                out.println("peer rsync: not available");
            }
            if (available("git", "--version")) {
                git(v1, v2, work, img.bytes());
            } else {
                out.println("peer git: not available");
            }
        } finally {
            Benches.deleteTree(work);
            if (!keep) {
                Files.deleteIfExists(v1);
                Files.deleteIfExists(v2);
            }
        }
        return new Figures(sent);
    }

    private void rsyncFull(Path v1, Path work, long bytes) throws IOException {
        Path dst = work.resolve("rsync-full");
        double[] ms = new double[runs];
        long[] sent = new long[runs];
        for (int r = 0; r < runs; r++) {
            Benches.deleteTree(dst);
            Files.createDirectories(dst);
            Run x = check(run(List.of("rsync", "--stats", v1.toString(), dst + "/")));
            ms[r] = x.ms();
            sent[r] = figure(SENT, x.output());
        }
        double m = Benches.median(ms);
        out.printf("peer median: %-44s %8.1f ms = %.0f MB/s; sent %.2f MB%n", "rsync (the image, to an empty directory)", m,
                BenchRemoteCommand.mbps(bytes, m), median(sent) / 1e6);
    }

    /** rsync of the update onto a fresh copy of the image, each run; returns the median of the bytes it sent. */
    private long rsyncUpdate(List<String> flags, Path v1, Path v2, Path work) throws IOException {
        Path dst = work.resolve("rsync-update").resolve("image.raw");
        Files.createDirectories(dst.getParent());
        double[] ms = new double[runs];
        long[] sent = new long[runs];
        long[] received = new long[runs];
        long[] literal = new long[runs];
        long[] matched = new long[runs];
        List<String> cmd = new ArrayList<>(List.of("rsync", "-I", "--stats"));
        cmd.addAll(flags);
        cmd.addAll(List.of(v2.toString(), dst.toString()));
        for (int r = 0; r < runs; r++) {
            Files.copy(v1, dst, StandardCopyOption.REPLACE_EXISTING);
            Run x = check(run(cmd));
            ms[r] = x.ms();
            sent[r] = figure(SENT, x.output());
            received[r] = figure(RECEIVED, x.output());
            literal[r] = figure(LITERAL, x.output());
            matched[r] = figure(MATCHED, x.output());
            if (r == 0 && Files.mismatch(dst, v2) != -1) {
                throw new CliException(ExitCodes.FAILURE, "bench remote: rsync did not reproduce the update");
            }
        }
        out.printf("peer median: %-44s %8.1f ms; sent %.2f MB, received %.2f MB (literal data %.2f MB, matched %.2f MB)%n",
                "rsync -I " + String.join(" ", flags) + " (update)", Benches.median(ms), median(sent) / 1e6,
                median(received) / 1e6, median(literal) / 1e6, median(matched) / 1e6);
        return median(sent);
    }

    private void git(Path v1, Path v2, Path work, long bytes) throws IOException {
        Path repo = work.resolve("git");
        check(run(List.of("git", "init", "-q", "-b", "main", repo.toString())));
        Path file = repo.resolve("image.raw");
        Files.copy(v1, file);
        Run add = check(run(git(repo, "add", "image.raw")));
        Run commit = check(run(git(repo, "commit", "-q", "-m", "v1")));
        check(run(git(repo, "tag", "v1")));
        Files.copy(v2, file, StandardCopyOption.REPLACE_EXISTING);
        Run update = check(run(git(repo, "commit", "-q", "-a", "-m", "v2")));
        double once = add.ms() + commit.ms();
        out.printf("peer once:   %-44s %8.1f ms = %.0f MB/s; the update's commit %.1f ms%n", "git add + commit of the raw image",
                once, BenchRemoteCommand.mbps(bytes, once), update.ms());
        bundle(repo, work.resolve("full.bundle"), "v1", "git bundle create (the image, v1)");
        bundle(repo, work.resolve("update.bundle"), "v1..main", "git bundle create v1..main (update)");
    }

    private void bundle(Path repo, Path file, String range, String label) throws IOException {
        double[] ms = new double[runs];
        long[] size = new long[runs];
        for (int r = 0; r < runs; r++) {
            Files.deleteIfExists(file);
            ms[r] = check(run(git(repo, "bundle", "create", file.toString(), range))).ms();
            size[r] = Files.size(file);
        }
        out.printf("peer median: %-44s %8.1f ms; %.2f MB%n", label, Benches.median(ms), median(size) / 1e6);
    }

    /** git in {@code repo} with no system or user configuration, an identity, and no automatic gc. */
    private static List<String> git(Path repo, String... args) {
        List<String> c = new ArrayList<>(List.of("git", "-C", repo.toString(), "-c", "user.name=vmtree bench",
                "-c", "user.email=bench@localhost", "-c", "gc.auto=0"));
        c.addAll(List.of(args));
        return c;
    }

    private static void write(Path file, byte[][] pages) throws IOException {
        try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            for (byte[] p : pages) {
                os.write(p);
            }
        }
    }

    private static Run run(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
        pb.environment().put("LC_ALL", "C");
        long t0 = System.nanoTime();
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(cmd.getFirst() + " did not finish in 30 minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Run(p.exitValue(), new String(output, StandardCharsets.UTF_8), BenchRemoteCommand.ms(t0));
    }

    private static Run check(Run r) {
        if (r.status() != 0) {
            String first = r.output().lines().findFirst().orElse("");
            throw new CliException(ExitCodes.FAILURE, "bench remote: a peer failed (exit status " + r.status() + "): " + first);
        }
        return r;
    }

    private static boolean available(String... cmd) {
        try {
            return run(List.of(cmd)).status() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** A byte count from rsync --stats ("2,949,866" or "2.95M" when it abbreviates: then unknown, -1). */
    private static long figure(Pattern p, String output) {
        Matcher m = p.matcher(output);
        if (!m.find()) {
            return -1;
        }
        String digits = m.group(1).replace(",", "");
        return digits.matches("[0-9]+") ? Long.parseLong(digits) : -1;
    }

    private static long median(long[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return (long) Benches.median(d);
    }
}
