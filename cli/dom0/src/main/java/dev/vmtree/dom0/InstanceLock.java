package dev.vmtree.dom0;

import dev.vmtree.store.fs.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Marks an instance as held by a process (a {@code vmtree run}, a {@code disk serve}, or a command's
 * {@link InstanceSession}): an OS file lock on {@code .vmtree/instances/NAME.lock}, which the kernel
 * drops when the process dies, plus the holder's pid and what it is doing ("run", "disk serve
 * nbd://...") written into the file so others can say who holds it and why. A file naming a pid whose
 * process is gone, with no OS lock on it, is a stale lock left by a crash: it is reported as such
 * and taken over silently. The file is never deleted (deleting lock files races with openers); a
 * released lock is an empty file.
 *
 * <p>Threading: one holder per instance per JVM (the daemon runs several commands at once). The
 * JVM refuses a second OS lock on one file, and closing any descriptor of a file drops every POSIX
 * lock this process has on it, so holders and looks within the JVM are settled here: a registry
 * keyed by the lock file's real path (a symlinked or relative path names the same key), and per
 * key one monitor under which a look opens its own descriptor only while no one here holds the
 * file. A second acquire in this JVM is LOCKED naming this pid and the first holder's activity;
 * a probe then reports it Running.
 */
public final class InstanceLock implements AutoCloseable {
    /** Lock files held by this JVM, by real path, with what their holder does. */
    private static final java.util.Map<Path, String> HELD_HERE = new ConcurrentHashMap<>();
    /** One monitor per lock file (never removed: one small object per instance ever locked or probed). */
    private static final java.util.Map<Path, Object> MONITORS = new ConcurrentHashMap<>();

    /** Who holds an instance. */
    public sealed interface Holder {
        /** Nobody. */
        record Free() implements Holder {}

        /**
         * A live process (pid) holds the OS lock, doing {@code activity} ("run", "disk serve ...",
         * "commit"; null when the holder did not say, as a vmtree before sessions).
         */
        record Running(long pid, String activity) implements Holder {
            public Running {
                activity = activity == null || activity.isBlank() ? null : activity;
            }

            public Running(long pid) {
                this(pid, null);
            }

            /**
             * True when the holder runs the guest: activity "run" or "run ..." (a {@code vmtree run}),
             * "background ..." (the Dom0 daemon's run of {@code vmtree start}), or unsaid (a vmtree
             * before activities, which locked only to run).
             */
            public boolean runsGuest() {
                return activity == null || activity.equals("run") || activity.startsWith("run ")
                        || activity.startsWith("background");
            }

            /** True when the holder serves the instance's disk over NBD rather than running the guest. */
            public boolean serving() {
                return activity != null && activity.startsWith("disk serve");
            }
        }

        /** The file names a process that is gone and nobody holds the lock: a crash left it. */
        record Stale(long pid) implements Holder {}
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private InstanceLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of instance {@code name} for this process, or throws {@link ToolstackException.Kind#LOCKED}
     * saying which process holds it. Never waits: a running instance stays running for minutes.
     */
    public static InstanceLock acquire(Path file, String name) {
        return acquire(file, name, "run");
    }

    /**
     * As {@link #acquire(Path, String)}, saying what the holder does ({@code activity}, one line) so
     * that status can tell a running guest from a served disk or a short command.
     */
    public static InstanceLock acquire(Path file, String name, String activity) {
        String what = activity == null ? "" : activity.replace('\n', ' ');
        long me = ProcessHandle.current().pid();
        Path key;
        try {
            OwnerOnly.createDirectories(file.toAbsolutePath().normalize().getParent());
            key = key(file);
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.FAILED, "cannot lock instance " + name + " ("
                    + file + "): " + e.getMessage(), e);
        }
        synchronized (monitor(key)) {
            String holder = HELD_HERE.get(key);
            if (holder != null) {
                throw locked(name, me, holder);
            }
            FileChannel ch = null;
            try {
                ch = FileChannel.open(key, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE), OwnerOnly.file());
                OwnerOnly.restrict(key);
                FileLock l = ch.tryLock();
                // a holder writes its pid just after taking the lock and empties the file just before leaving
                // it: within that instant, look again rather than name no one
                for (int i = 0; l == null && pidIn(ch).isEmpty() && i < 20; i++) {
                    java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
                    l = ch.tryLock();
                }
                if (l == null) {
                    long pid = pidIn(ch).orElse(-1);
                    throw locked(name, pid, activityIn(ch));
                }
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((me + "\n" + what + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                ch.force(false);
                HELD_HERE.put(key, what);
                return new InstanceLock(key, ch, l);
            } catch (IOException e) {
                close(ch);
                throw new ToolstackException(ToolstackException.Kind.FAILED, "cannot lock instance " + name + " ("
                        + key + "): " + e.getMessage(), e);
            } catch (RuntimeException e) {
                close(ch);
                throw e;
            }
        }
    }

    /** Who holds the lock file now, without taking it for longer than the look. */
    public static Holder probe(Path file) {
        Path key;
        try {
            key = key(file);
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.FAILED, "cannot read lock " + file + ": " + e.getMessage(), e);
        }
        synchronized (monitor(key)) {
            String held = HELD_HERE.get(key);
            if (held != null) {
                return new Holder.Running(ProcessHandle.current().pid(), held);
            }
            if (!Files.exists(key)) {
                return new Holder.Free();
            }
            // nobody in this JVM holds the file (and nobody can take it while we look), so closing
            // this descriptor drops no lock of ours
            try (FileChannel ch = FileChannel.open(key, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                OptionalLong pid = pidIn(ch);
                FileLock l = ch.tryLock();
                if (l == null) {
                    return new Holder.Running(pid.orElse(-1), activityIn(ch));
                }
                l.release();
                if (pid.isPresent() && ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false)) {
                    return new Holder.Free(); // a live process that released without truncating: not ours to judge
                }
                return pid.isPresent() ? new Holder.Stale(pid.getAsLong()) : new Holder.Free();
            } catch (IOException e) {
                throw new ToolstackException(ToolstackException.Kind.FAILED, "cannot read lock " + key + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * The registry's key of a lock file: its directory's real path and its name, so every path to
     * one file (through a symlink, with "..", relative) is one key; the file itself need not exist.
     */
    private static Path key(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        return Files.isDirectory(parent) ? parent.toRealPath().resolve(abs.getFileName()) : abs;
    }

    private static Object monitor(Path key) {
        return MONITORS.computeIfAbsent(key, k -> new Object());
    }

    /** Throws LOCKED when another process (or another holder in this one) has the instance. */
    public static void checkNotRunning(Path file, String name) {
        if (probe(file) instanceof Holder.Running r) {
            throw locked(name, r.pid(), r.activity());
        }
    }

    /**
     * LOCKED, saying who holds the instance: a run, a disk serve or a holder that did not say what it
     * does is to be stopped there; a short command (commit, checkout, mem write...) is only waited out.
     */
    static ToolstackException locked(String name, long pid, String activity) {
        String who = pid < 0 ? "?" : Long.toString(pid);
        if (activity != null && activity.startsWith("background")) {
            return new ToolstackException(ToolstackException.Kind.LOCKED, "instance " + name + " runs in the background"
                    + " (Dom0, pid " + who + "); `vmtree stop -i " + name + "` suspends it first (`vmtree commit` works"
                    + " while it runs)");
        }
        if (activity != null && !activity.isBlank() && !activity.equals("run") && !activity.startsWith("disk serve")) {
            return new ToolstackException(ToolstackException.Kind.LOCKED, "instance " + name + " is busy in process "
                    + who + " (" + activity.strip() + "); run the command again when that is done");
        }
        return new ToolstackException(ToolstackException.Kind.LOCKED, "instance " + name + " is running in process "
                + who + "; stop it there (detach or `kill " + (pid < 0 ? "PID" : pid) + "`) first");
    }

    /** The file's first line, the holder's pid (docs/format.md, "Lock file"). */
    private static OptionalLong pidIn(FileChannel ch) throws IOException {
        String s = lines(ch)[0].trim();
        try {
            return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The file's second line, what the holder does; null when absent. */
    private static String activityIn(FileChannel ch) throws IOException {
        String[] l = lines(ch);
        return l.length > 1 && !l[1].isBlank() ? l[1].trim() : null;
    }

    private static String[] lines(FileChannel ch) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(512);
        ch.read(bb, 0);
        return new String(bb.array(), 0, bb.position(), StandardCharsets.UTF_8).split("\n", -1);
    }

    private static void close(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // we never held the lock
            }
        }
    }

    public Path file() {
        return file;
    }

    /** Empties the file (no pid: nobody holds it) and releases the lock. */
    @Override
    public void close() {
        synchronized (monitor(file)) {
            if (closed) {
                return;     // a second close must not drop a later holder's registration
            }
            closed = true;
            try {
                channel.truncate(0);
                lock.release();
            } catch (IOException ignored) {
                // closing the channel below releases the OS lock in any case
            } finally {
                close(channel);
                HELD_HERE.remove(file);
            }
        }
    }
}
