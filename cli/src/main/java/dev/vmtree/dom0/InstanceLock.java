package dev.vmtree.dom0;

import dev.vmtree.store.fs.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Marks an instance as held by a process (a {@code vmtree run}): an OS file lock on
 * {@code .vmtree/instances/NAME.lock}, which the kernel drops when the process dies, plus the
 * holder's pid written into the file so others can say who holds it. A file naming a pid whose
 * process is gone, with no OS lock on it, is a stale lock left by a crash: it is reported as such
 * and taken over silently. The file is never deleted (deleting lock files races with openers); a
 * released lock is an empty file.
 *
 * <p>Threading: one holder per instance per JVM, tracked in-process because the JVM refuses a
 * second OS lock on one file.
 */
public final class InstanceLock implements AutoCloseable {
    private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

    /** Who holds an instance. */
    public sealed interface Holder {
        /** Nobody. */
        record Free() implements Holder {}

        /** A live process (pid) holds the OS lock. */
        record Running(long pid) implements Holder {}

        /** The file names a process that is gone and nobody holds the lock: a crash left it. */
        record Stale(long pid) implements Holder {}
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

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
        Path key = file.toAbsolutePath().normalize();
        long me = ProcessHandle.current().pid();
        if (!HELD_HERE.add(key)) {
            throw locked(name, me);
        }
        FileChannel ch = null;
        try {
            OwnerOnly.createDirectories(key.getParent());
            ch = FileChannel.open(key, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), OwnerOnly.file());
            OwnerOnly.restrict(key);
            FileLock l = ch.tryLock();
            if (l == null) {
                long pid = pidIn(ch).orElse(-1);
                throw locked(name, pid);
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            return new InstanceLock(key, ch, l);
        } catch (IOException e) {
            cleanup(key, ch);
            throw new ToolstackException(ToolstackException.Kind.FAILED, "cannot lock instance " + name + " ("
                    + key + "): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            cleanup(key, ch);
            throw e;
        }
    }

    /** Who holds the lock file now, without taking it for longer than the look. */
    public static Holder probe(Path file) {
        Path key = file.toAbsolutePath().normalize();
        if (HELD_HERE.contains(key)) {
            return new Holder.Running(ProcessHandle.current().pid());
        }
        if (!Files.exists(key)) {
            return new Holder.Free();
        }
        try (FileChannel ch = FileChannel.open(key, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            OptionalLong pid = pidIn(ch);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return new Holder.Running(ProcessHandle.current().pid());
            }
            if (l == null) {
                return new Holder.Running(pid.orElse(-1));
            }
            l.release();
            if (pid.isPresent() && ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false)) {
                return new Holder.Free(); // a live process that released without truncating: not ours to judge
            }
            return pid.isPresent() ? new Holder.Stale(pid.getAsLong()) : new Holder.Free();
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.FAILED, "cannot read lock " + key + ": " + e.getMessage(), e);
        }
    }

    /** Throws LOCKED when another process (or another holder in this one) has the instance. */
    public static void checkNotRunning(Path file, String name) {
        if (probe(file) instanceof Holder.Running r) {
            throw locked(name, r.pid());
        }
    }

    static ToolstackException locked(String name, long pid) {
        return new ToolstackException(ToolstackException.Kind.LOCKED, "instance " + name + " is running in process "
                + (pid < 0 ? "?" : Long.toString(pid)) + "; stop it there (detach or `kill " + (pid < 0 ? "PID" : pid)
                + "`) first");
    }

    private static OptionalLong pidIn(FileChannel ch) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(32);
        ch.read(bb, 0);
        String s = new String(bb.array(), 0, bb.position(), StandardCharsets.US_ASCII).trim();
        try {
            return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static void cleanup(Path key, FileChannel ch) {
        HELD_HERE.remove(key);
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
        try {
            channel.truncate(0);
            lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases the OS lock in any case
        } finally {
            cleanup(file, channel);
        }
    }
}
