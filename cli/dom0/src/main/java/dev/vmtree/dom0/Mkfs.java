package dev.vmtree.dom0;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Formats a new disk through the host's tools ({@code create --mkfs ext4}): busybox in a guest
 * makes only ext2, so vmtree runs e2fsprogs' mke2fs on a sparse temporary file inside the
 * repository ({@code .vmtree/mkfs-*.tmp}, deleted afterwards; gc removes one a crash left) and the
 * disk is imported from it like any raw image.
 */
public final class Mkfs {
    /** The file systems --mkfs makes. */
    public static final List<String> TYPES = List.of("ext4", "ext3", "ext2");

    private Mkfs() {}

    /** Checks {@code type} before anything is done. */
    public static void checkType(String type) {
        if (!TYPES.contains(type)) {
            throw ToolstackException.badInput("--mkfs: unknown file system '" + type + "' (vmtree makes "
                    + String.join(", ", TYPES) + ")");
        }
    }

    /** A raw image of {@code bytes} holding a fresh {@code type} file system, in {@code dir}; the caller deletes it. */
    public static Path format(Path dir, String type, long bytes) {
        checkType(type);
        Path mke2fs = find("mke2fs");
        Path file;
        try {
            file = Files.createTempFile(dir, "mkfs-", ".tmp");
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(bytes);
            }
        } catch (IOException e) {
            throw ToolstackException.failed("--mkfs: cannot make a temporary file in " + dir + ": " + e.getMessage());
        }
        try {
            // -F: a regular file; no lazy init: the guest's kernel would otherwise zero the tables in the background
            Process p = new ProcessBuilder(mke2fs.toString(), "-q", "-F", "-t", type, "-E",
                    "lazy_itable_init=0,lazy_journal_init=0", file.toString()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw ToolstackException.failed("--mkfs: mke2fs did not finish");
            }
            if (p.exitValue() != 0) {
                String msg = new String(out, StandardCharsets.UTF_8).strip().replace('\n', ' ');
                throw ToolstackException.failed("--mkfs: mke2fs failed (exit " + p.exitValue() + "): " + msg);
            }
            return file;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the .tmp name lets gc remove it
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof ToolstackException te) {
                throw te;
            }
            throw ToolstackException.failed("--mkfs: cannot run mke2fs: " + e.getMessage());
        }
    }

    /** {@code tool} on PATH or in /sbin and /usr/sbin (often not on a user's PATH); CANNOT_RUN naming the package. */
    static Path find(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String d : path.split(":")) {
            if (!d.isEmpty()) {
                Path p = Path.of(d, tool);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "--mkfs needs " + tool
                + " from e2fsprogs, which is not installed (apt-get install e2fsprogs)");
    }
}
