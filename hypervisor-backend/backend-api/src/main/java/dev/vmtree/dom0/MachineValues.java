package dev.vmtree.dom0;

import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

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
    /**
     * The least RAM a machine boots in: the boot block (device tree, firmware info) and room below it.
     * This and the two limits below are the RV64 core's (its Boot.MIN_MEMORY, MachineConfig.MAX_MEMORY
     * and MAX_HARTS; MachineLimitsTest in cli checks they agree), written out so that Dom0 checks user
     * input without the core on its class path.
     */
    public static final long MIN_MEMORY = 2 * 64 * 1024;
    public static final long MAX_MEMORY = 64L << 30;
    public static final int MAX_HARTS = 64;
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

    /** The most vmtree reads of one file into memory (a Java array's limit, just under 2 GiB). */
    public static final long MAX_FILE_READ = Integer.MAX_VALUE - 8;

    /**
     * A program a machine boots ({@code what}: "kernel", "program", "firmware"): an ELF file of at
     * most {@link #MAX_FILE_READ} (it may carry symbols and debug sections beyond what it loads), or
     * a raw image no larger than the machine's RAM. See {@link #readFile}.
     */
    public static byte[] readProgram(String what, Path file, long ramBytes) {
        BasicFileAttributes a = regularFile(what, file);
        byte[] magic = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(magic, 0, 4);
        } catch (IOException e) {
            throw unreadable(what, file, e);
        }
        boolean elf = n == 4 && magic[0] == 0x7F && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        return elf ? read(what, file, a, MAX_FILE_READ, "the largest file vmtree loads", "")
                : read(what, file, a, ramBytes, "the machine's RAM", "; a raw image is loaded whole: give more --memory");
    }

    /**
     * A file placed whole in RAM ({@code what}: "initrd"): at most the machine's RAM. See {@link #readFile}.
     */
    public static byte[] readRamImage(String what, Path file, long ramBytes) {
        return read(what, file, regularFile(what, file), ramBytes, "the machine's RAM", "; give more --memory");
    }

    /**
     * The bytes of a user-named file a machine is built from, bounded by {@code limit} (what the
     * format can need): a regular file only, since a device such as /dev/zero or a pipe never ends
     * or cannot be sized; refused with one line (CANNOT_RUN) before anything is read when it is
     * larger, and never read beyond the bound if it grows meanwhile.
     */
    public static byte[] readFile(String what, Path file, long limit, String limitName) {
        return read(what, file, regularFile(what, file), limit, limitName, "");
    }

    /** {@link #readFile} bounded only by {@link #MAX_FILE_READ}, for a file of no format vmtree knows a bound of. */
    public static byte[] readInput(String what, Path file) {
        return readFile(what, file, MAX_FILE_READ, "the largest file vmtree reads");
    }

    /**
     * A user-named file streamed rather than read whole ({@code --input}): a regular file, opened;
     * CANNOT_RUN when it is not one (a device or pipe: stream it through standard input instead).
     */
    public static InputStream openStream(String what, Path file) {
        regularFile(what, file, "; to stream it, use " + what + " - < " + file);
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw unreadable(what, file, e);
        }
    }

    private static BasicFileAttributes regularFile(String what, Path file) {
        return regularFile(what, file, "; copy it to a file first");
    }

    private static BasicFileAttributes regularFile(String what, Path file, String hint) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw unreadable(what, file, e);
        }
        if (a.isDirectory()) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + what + " " + file
                    + ": Is a directory");
        }
        if (!a.isRegularFile()) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + what + " " + file
                    + ": not a regular file (a device, pipe or socket has no size to check)" + hint);
        }
        return a;
    }

    private static byte[] read(String what, Path file, BasicFileAttributes a, long limit, String limitName, String hint) {
        long bound = Math.min(limit, MAX_FILE_READ);
        if (a.size() > bound) {
            throw tooLarge(what, file, a.size(), bound, limitName, hint);
        }
        byte[] b;
        try (InputStream in = Files.newInputStream(file)) {
            b = in.readNBytes((int) bound + 1);
        } catch (IOException e) {
            throw unreadable(what, file, e);
        }
        if (b.length > bound) {
            throw tooLarge(what, file, b.length, bound, limitName, hint);      // it grew while being read
        }
        return b;
    }

    private static ToolstackException tooLarge(String what, Path file, long size, long bound, String limitName,
                                                String hint) {
        return new ToolstackException(ToolstackException.Kind.CANNOT_RUN, what + " " + file + " is "
                + Sizes.human(size) + ", more than " + limitName + " (" + Sizes.human(bound) + ")" + hint);
    }

    private static ToolstackException unreadable(String what, Path file, IOException e) {
        return new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + what + " " + file
                + ": " + IoErrors.reason(e), e);
    }

    private static long size(String option, String text) {
        try {
            return Sizes.parse(text);
        } catch (ToolstackException e) {
            throw ToolstackException.badInput(option + ": " + e.getMessage());
        }
    }
}
