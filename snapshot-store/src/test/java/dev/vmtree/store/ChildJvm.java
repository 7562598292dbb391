package dev.vmtree.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link CrashChild} in a JVM like this one (same java binary, same class path), with its
 * stdout read as it comes: a killed process's streams are closed by the JDK, so reading after
 * the kill would lose what was printed.
 */
final class ChildJvm {
    final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private ChildJvm(Process process) {
        this.process = process;
        this.reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the stream closes when the child is killed
            }
        });
    }

    static ChildJvm start(Path repo, long firstSeed, long count) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), repo.toString(), Long.toString(firstSeed), Long.toString(count)));
        return new ChildJvm(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** Waits until the child has opened the repository (or died). */
    void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!lines.contains("READY") && process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** After the process ended: the "COMMITTED seed id" lines it printed, as seed → id. */
    void readCommitted(Map<Long, SnapshotId> into) throws InterruptedException {
        reader.join(30_000);
        for (String line : lines) {
            String[] f = line.trim().split(" ");
            // A line cut by the kill was never acknowledged: skip it.
            if (f.length == 3 && f[0].equals("COMMITTED") && f[2].length() == 40) {
                into.put(Long.parseLong(f[1]), new SnapshotId(f[2]));
            }
        }
    }
}
