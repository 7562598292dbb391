package dev.vmtree.store;

import dev.vmtree.store.fs.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The one-writer-at-a-time lock of a repository: an OS file lock on {@code .vmtree/lock} (released
 * by the kernel when a process dies, so a SIGKILL never leaves a stale lock) plus an in-process
 * lock, because the JVM refuses a second file lock on one file (keyed by the file's real path, so
 * one repository reached by two paths is one lock). The holder writes its pid into
 * the file so a waiter can say whom it waits for. Readers never take it.
 */
final class WriterLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private WriterLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    static WriterLock acquire(Path file, Duration timeout, Consumer<String> onWait) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ReentrantLock local = IN_PROCESS.computeIfAbsent(key(file), k -> new ReentrantLock());
        try {
            if (!local.tryLock()) {
                onWait.accept("waiting for the repository lock held by another thread of this process (pid "
                        + ProcessHandle.current().pid() + ")");
                if (!local.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    throw new StoreException("repository is busy: another writer in this process held " + file
                            + " for " + timeout.toSeconds() + " s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for " + file, e);
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), OwnerOnly.file());
            OwnerOnly.restrict(file);
            boolean told = false;
            while (true) {
                FileLock l = ch.tryLock();
                if (l != null) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                    return new WriterLock(local, ch, l);
                }
                String holder = holder(ch);
                if (System.nanoTime() >= deadline) {
                    throw new StoreException("repository is locked by pid " + holder + " (gave up after "
                            + timeout.toSeconds() + " s): " + file);
                }
                if (!told) {
                    onWait.accept("waiting for lock held by pid " + holder + " (" + file + ")");
                    told = true;
                }
                Thread.sleep(20);
            }
        } catch (IOException e) {
            close(ch);
            local.unlock();
            throw new StoreException("cannot lock " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            close(ch);
            local.unlock();
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for " + file, e);
        } catch (RuntimeException e) {
            close(ch);
            local.unlock();
            throw e;
        }
    }

    /**
     * The in-process lock's key: the real path of the file's directory and its name, so writers that
     * reach one repository by different paths (a symlink, "..") share it instead of meeting the JVM's
     * OverlappingFileLockException.
     */
    private static Path key(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        try {
            return abs.getParent().toRealPath().resolve(abs.getFileName());
        } catch (IOException e) {
            return abs;     // no directory: opening the file below fails and says so
        }
    }

    private static String holder(FileChannel ch) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(32);
        ch.read(bb, 0);
        String s = new String(bb.array(), 0, bb.position(), StandardCharsets.US_ASCII).trim();
        return s.isEmpty() ? "?" : s;
    }

    private static void close(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing was written under a lock we never got
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        close(channel);
        local.unlock();
    }
}
