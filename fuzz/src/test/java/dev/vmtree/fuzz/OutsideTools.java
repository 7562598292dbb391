package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds and runs the outside programs these tests use as peers (qemu-riscv64, qemu-system-riscv64,
 * make and the riscv64-unknown-elf toolchain). A missing tool skips the test on a developer's
 * machine and fails it in CI (CI=true), where .ci/install-deps must have provided it.
 */
final class OutsideTools {
    private OutsideTools() {}

    /** Result of one finished process. */
    record Run(int exitCode, String out, String err) {}

    static Path projectRoot() {
        String root = System.getProperty("vmtree.project.root");
        assertThat(root).as("system property vmtree.project.root").isNotNull();
        return Path.of(root);
    }

    /** The tool's path on PATH, or the test is skipped (failed under CI=true). */
    static Path require(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String message = tool + " is not installed (.ci/install-deps installs it)";
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(message);
        }
        Assumptions.abort(message);
        return null;
    }

    /** Runs a command with empty stdin and a time limit; stdout and stderr are collected separately. */
    static Run run(List<String> command, Path workDir, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
        }
        return new Run(p.exitValue(), out.join(), err.join());
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "<unreadable: " + e.getMessage() + ">";
        }
    }
}
