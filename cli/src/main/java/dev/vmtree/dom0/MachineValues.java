package dev.vmtree.dom0;

import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a user gives for a machine, checked once for every command that takes it ({@code create},
 * {@code exec}, {@code run}, {@code config machine.*}): RAM and disk sizes, hart counts, instruction
 * budgets and the files a machine boots from. One mistake so gets one message and one exit status
 * everywhere (docs/cli.md "Exit status"): a malformed or out-of-range value is BAD_INPUT (status 2),
 * an input file that cannot be read or used is CANNOT_RUN (status 4).
 */
public final class MachineValues {
    private MachineValues() {}

    /** RAM is made of 4 KiB pages. */
    public static final long MEMORY_UNIT = 4096;
    /** The least RAM a machine boots in: the boot block (device tree, firmware info) and room below it. */
    public static final long MIN_MEMORY = Boot.MIN_MEMORY;
    public static final long MAX_MEMORY = MachineConfig.MAX_MEMORY;
    public static final int MAX_HARTS = MachineConfig.MAX_HARTS;
    /** Disks are counted in virtio-blk sectors of 512 bytes: a guest sees no partial sector. */
    public static final int SECTOR = 512;
    /** The largest virtual disk (a sparse image: only written blocks take space). */
    public static final long MAX_DISK = 16L << 40;
    /** An instruction budget that never runs out (the default of {@code run} and {@code exec}). */
    public static final long NO_LIMIT = -1;

    /** RAM for {@code option} ("--memory", "machine.memory"): a multiple of 4K from {@link #MIN_MEMORY} to 64G. */
    public static long memory(String option, String text) {
        long bytes = size(option, text);
        if (bytes < MIN_MEMORY || bytes > MAX_MEMORY || bytes % MEMORY_UNIT != 0) {
            throw ToolstackException.badInput(option + " must be a multiple of 4K from " + Sizes.format(MIN_MEMORY)
                    + " to " + Sizes.format(MAX_MEMORY) + ": " + text);
        }
        return bytes;
    }

    /**
     * A real-time clock base for {@code option}, in nanoseconds since the epoch: an ISO-8601 instant,
     * a date (midnight UTC), {@code @SECONDS}, or {@code now} (the host clock). 1970 to 2262, the
     * range of the goldfish RTC's signed 64-bit nanoseconds.
     */
    public static long clockBase(String option, String text) {
        String t = text.trim();
        java.time.Instant at;
        try {
            if (t.equals("now")) {
                at = java.time.Instant.now();
            } else if (t.startsWith("@")) {
                at = java.time.Instant.ofEpochSecond(Long.parseLong(t.substring(1)));
            } else if (t.length() == 10) {
                at = java.time.LocalDate.parse(t).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
            } else {
                at = java.time.OffsetDateTime.parse(t).toInstant();
            }
        } catch (java.time.DateTimeException | NumberFormatException e) {
            throw ToolstackException.badInput(option + " must be an ISO-8601 time (2026-01-01T00:00:00Z), a date"
                    + " (2026-01-01), @SECONDS or now: " + text);
        }
        if (at.isBefore(java.time.Instant.EPOCH) || at.getEpochSecond() >= Long.MAX_VALUE / 1_000_000_000L) {
            throw ToolstackException.badInput(option + " must lie between 1970 and 2262: " + text);
        }
        return at.getEpochSecond() * 1_000_000_000L + at.getNano();
    }

    /** A hart count for {@code option}: 1 to 64. */
    public static int harts(String option, long n) {
        if (n < 1 || n > MAX_HARTS) {
            throw ToolstackException.badInput(option + " must be a whole number from 1 to " + MAX_HARTS + ": " + n);
        }
        return (int) n;
    }

    /** A hart count as text (a configuration value). */
    public static int harts(String option, String text) {
        try {
            return harts(option, Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            throw ToolstackException.badInput(option + " must be a whole number from 1 to " + MAX_HARTS + ": " + text);
        }
    }

    /** A virtual disk size for {@code option}: a positive multiple of the 512-byte virtio-blk sector. */
    public static long diskSize(String option, String text) {
        return checkDiskSize(option, size(option, text), text);
    }

    /** {@link #diskSize} of a size already parsed. */
    public static long diskSize(String option, long bytes) {
        return checkDiskSize(option, bytes, Long.toString(bytes));
    }

    private static long checkDiskSize(String option, long bytes, String text) {
        if (bytes <= 0 || bytes % SECTOR != 0 || bytes > MAX_DISK) {
            throw ToolstackException.badInput(option + " must be a positive multiple of " + SECTOR + " bytes (the"
                    + " virtio-blk sector size), at most " + Sizes.format(MAX_DISK) + ": " + text);
        }
        return bytes;
    }

    /**
     * Checks the size of a disk image file given with {@code option}: CANNOT_RUN unless it is a positive
     * multiple of 512 bytes, naming the command that pads it.
     */
    public static void checkDiskImageSize(String option, Path file, long bytes) {
        if (bytes > 0 && bytes % SECTOR == 0 && bytes <= MAX_DISK) {
            return;
        }
        if (bytes <= 0) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, option + " " + file
                    + " is empty; a disk needs at least one sector of " + SECTOR + " bytes");
        }
        if (bytes > MAX_DISK) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, option + " " + file + " is "
                    + bytes + " bytes, more than the largest disk (" + Sizes.format(MAX_DISK) + ")");
        }
        long up = (bytes + SECTOR - 1) / SECTOR * SECTOR;
        throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, option + " " + file + " is " + bytes
                + " bytes, not a multiple of " + SECTOR + " (the virtio-blk sector size); pad it with `truncate -s "
                + up + " " + file + "` (raw) or `qemu-img resize " + file + " " + up + "` (qcow2)");
    }

    /** An instruction budget for {@code option}: null is {@link #NO_LIMIT}; 0 means no more instructions. */
    public static long budget(String option, Long n) {
        if (n == null) {
            return NO_LIMIT;
        }
        if (n < 0) {
            throw ToolstackException.badInput(option + " must not be negative (leave it out for no limit): " + n);
        }
        return n;
    }

    /**
     * The bytes of a file a machine is built or fed from ({@code what}: "kernel", "initrd", "--input"
     * ...); CANNOT_RUN with the system's reason when it cannot be read.
     */
    public static byte[] readInput(String what, Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + what + " " + file
                        + ": Is a directory");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + what + " " + file
                    + ": " + IoErrors.reason(e), e);
        }
    }

    private static long size(String option, String text) {
        try {
            return Sizes.parse(text);
        } catch (ToolstackException e) {
            throw ToolstackException.badInput(option + ": " + e.getMessage());
        }
    }
}
