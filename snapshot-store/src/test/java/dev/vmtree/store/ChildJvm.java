package dev.vmtree.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts {@link CrashChild} in a JVM like this one (same java binary, same class path). */
final class ChildJvm {
    private ChildJvm() {}

    static Process start(Path repo, long firstSeed, long count) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), repo.toString(), Long.toString(firstSeed), Long.toString(count)));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** "COMMITTED seed id" lines the child printed, as seed → id. */
    static void readCommitted(Process p, java.util.Map<Long, SnapshotId> into) throws IOException {
        String out = new String(p.getInputStream().readAllBytes());
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            // A line cut by the kill is incomplete and was never acknowledged: skip it.
            if (f.length == 3 && f[0].equals("COMMITTED") && f[2].length() == 40) {
                into.put(Long.parseLong(f[1]), new SnapshotId(f[2]));
            }
        }
    }
}
