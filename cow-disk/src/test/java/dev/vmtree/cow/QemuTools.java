package dev.vmtree.cow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the real qemu-img / qemu-io (Debian qemu-utils) as the oracle for disk image tests. Missing
 * tools fail the test when CI=true and skip it otherwise (COMMON rules).
 */
public final class QemuTools {
    private QemuTools() {}

    public record Result(int exit, String out, String err) {
        public Result ok() {
            assertThat(exit).as("exit status; stderr: %s; stdout: %s", err, out).isZero();
            return this;
        }
    }

    /** Skips (or, in CI, fails) the calling test when {@code tool} is not on PATH. */
    public static void require(String tool) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                found = true;
                break;
            }
        }
        if (!found && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(tool + " is required in CI (install qemu-utils)");
        }
        Assumptions.assumeTrue(found, tool + " not installed");
    }

    public static Result run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("qemu-out", ".txt");
        Path err = Files.createTempFile("qemu-err", ".txt");
        try {
            Process p = new ProcessBuilder(List.of(command))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    public static Result ok(String... command) throws IOException, InterruptedException {
        return run(command).ok();
    }

    /** Asserts qemu-img compare finds the two images identical (formats probed by qemu from the files). */
    public static void assertIdentical(Path a, String fmtA, Path b, String fmtB) throws IOException, InterruptedException {
        assertIdentical(a.toString(), fmtA, b.toString(), fmtB);
    }

    /** As above, for image names qemu understands that are not files (nbd:// URLs). */
    public static void assertIdentical(String a, String fmtA, String b, String fmtB) throws IOException, InterruptedException {
        Result r = run("qemu-img", "compare", "-f", fmtA, "-F", fmtB, a, b);
        assertThat(r.exit()).as("qemu-img compare %s %s: %s %s", a, b, r.out(), r.err()).isZero();
        assertThat(r.out()).contains("Images are identical");
    }

    /** Asserts qemu-img check reports no errors and no leaks for a qcow2 image. */
    public static void assertCheckClean(Path qcow2) throws IOException, InterruptedException {
        Result r = run("qemu-img", "check", "-f", "qcow2", qcow2.toString());
        assertThat(r.exit()).as("qemu-img check: %s %s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("No errors were found on the image.");
        assertThat(r.out()).doesNotContain("leaked");
    }
}
