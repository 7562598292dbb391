package dev.vmtree.dom0.policy;

import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.fs.IoErrors;
import dev.vmtree.store.fs.OwnerOnly;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The repository's audit log, {@code .vmtree/audit.log}: one JSON object per line for every lifecycle
 * operation on an instance (who, when, what, how it ended), appended and never rewritten. Format
 * version 1 in docs/format.md ("Audit log"); {@link AuditLine} encodes and decodes a line.
 *
 * <p>Appends are atomic per line across threads and processes: one {@code write} of the whole line
 * on a file opened for appending, under an OS lock on the file (and a JVM-wide monitor, as the JVM
 * refuses two OS locks on one file), then fsync, so a returned append is durable. A crash mid-write
 * leaves at worst a torn last line, which {@link #read} skips; the next append first ends that line,
 * so no later entry is glued onto it (it is then read as a damaged line, reported and skipped).
 *
 * <p>Threading: safe for any number of threads and processes.
 */
public final class AuditLog {
    public static final String FILE = "audit.log";

    /** Operations the toolstack records (an open set: readers keep any word a newer writer uses). */
    public static final String CREATE = "create", ADD = "add", REMOVE = "remove", REPAIR = "repair",
            COMMIT = "commit", CHECKOUT = "checkout", ROLLBACK = "rollback",
            START = "start", STOP = "stop", END = "end", PAUSE = "pause", RESUME = "resume", ATTACH = "attach",
            KILL = "kill", CRASH = "crash",
            /** An instance moved to another repository and retired here (docs/migration.md). */
            MIGRATE = "migrate",
            /** A forced change of a protected ref or a tag (docs/cli.md "Protected refs"). */
            FORCE = "force";

    /** How an operation ended. */
    public enum Outcome {
        /** It was done. */
        OK,
        /** Policy refused it before anything changed (a limit, uncommitted state, a held instance). */
        REFUSED,
        /** It was tried and failed. */
        FAILED;

        /** The word in the log: "ok", "refused", "failed". */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The outcome a word names; IllegalArgumentException for any other. */
        public static Outcome of(String word) {
            for (Outcome o : values()) {
                if (o.word().equals(word)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown outcome '" + word + "'");
        }
    }

    /**
     * One line of the log. {@code instance} may be null (an operation on no instance);
     * {@code detail} is free text, cut to {@link AuditLine#MAX_DETAIL} characters when written.
     */
    public record Entry(Instant time, long pid, String user, String op, String instance, Outcome outcome,
                        String detail) {
        public Entry {
            java.util.Objects.requireNonNull(time, "time");
            java.util.Objects.requireNonNull(op, "op");
            java.util.Objects.requireNonNull(outcome, "outcome");
            user = user == null ? "" : user;
            detail = detail == null ? "" : detail;
        }

        /** An entry made now by this process and its user. */
        public static Entry now(String op, String instance, Outcome outcome, String detail) {
            return new Entry(Instant.now().truncatedTo(ChronoUnit.MILLIS), ProcessHandle.current().pid(),
                    System.getProperty("user.name", ""), op, instance, outcome, detail);
        }
    }

    /** A line that could not be read: its 1-based number and why. */
    public record Damage(long line, String reason) {
        public String describe(Path file) {
            return file + " line " + line + " is damaged (" + reason + "); it is left out";
        }
    }

    /** What {@link #read} found: entries oldest first, and the damaged lines it went past. */
    public record Reading(List<Entry> entries, List<Damage> damaged) {}

    private static final Object APPENDING = new Object();

    private final Path file;

    /** The log at {@code file} (Toolstack.audit gives the repository's). */
    public AuditLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /**
     * Appends {@code e} as one line and makes it durable; CANNOT_RUN naming the file and the system's
     * reason when it cannot. The file is created owner-only (as the rest of {@code .vmtree/}).
     */
    public void append(Entry e) {
        byte[] line = (AuditLine.encode(e) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (APPENDING) {
            try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND), OwnerOnly.file()); FileLock lock = ch.lock()) {
                ByteBuffer b = endsTorn(ch.size()) ? ByteBuffer.allocate(line.length + 1).put((byte) '\n').put(line).flip()
                        : ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(false);
            } catch (IOException x) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot write audit log " + file + ": "
                        + IoErrors.reason(x), x);
            }
        }
    }

    /** True when the file's last byte is not a newline: a write torn by a crash. */
    private boolean endsTorn(long size) throws IOException {
        if (size == 0) {
            return false;
        }
        try (FileChannel r = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            return r.read(last, size - 1) == 1 && last.get(0) != '\n';
        }
    }

    /** Every entry, oldest first. */
    public Reading read() {
        return read(e -> true, Integer.MAX_VALUE);
    }

    /**
     * The last {@code last} entries that {@code filter} accepts, oldest first, streaming the file (a
     * missing file is an empty log). A last line without its newline that does not decode is a torn
     * write: skipped silently. Any other line that does not decode is a {@link Damage}. CANNOT_RUN when
     * the file cannot be read.
     */
    public Reading read(Predicate<Entry> filter, int last) {
        Deque<Entry> kept = new ArrayDeque<>();
        List<Damage> damaged = new ArrayList<>();
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            long number = 0;
            boolean tooLong = false;
            int c;
            while (true) {
                c = in.read();
                if (c != '\n' && c != -1) {
                    if (line.size() < AuditLine.MAX_LINE) {
                        line.write(c);
                    } else {
                        tooLong = true;
                    }
                    continue;
                }
                if (c == -1 && line.size() == 0 && !tooLong) {
                    break;
                }
                number++;
                try {
                    if (tooLong) {
                        throw new IllegalArgumentException("longer than " + AuditLine.MAX_LINE + " bytes");
                    }
                    Entry e = AuditLine.decode(line.toString(StandardCharsets.UTF_8));
                    if (filter.test(e)) {
                        kept.addLast(e);
                        if (kept.size() > last) {
                            kept.removeFirst();
                        }
                    }
                } catch (IllegalArgumentException x) {
                    if (c != -1) {      // a last line without its newline is a torn write, not damage
                        damaged.add(new Damage(number, x.getMessage()));
                    }
                }
                line.reset();
                tooLong = false;
                if (c == -1) {
                    break;
                }
            }
        } catch (NoSuchFileException x) {
            return new Reading(List.of(), List.of());
        } catch (IOException x) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read audit log " + file + ": "
                    + IoErrors.reason(x), x);
        }
        return new Reading(List.copyOf(kept), List.copyOf(damaged));
    }
}
