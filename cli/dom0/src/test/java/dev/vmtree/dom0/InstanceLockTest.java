package dev.vmtree.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instance locks within one JVM, as in the daemon, where several commands run at once: a second
 * holder is told who holds the instance (never the JVM's OverlappingFileLockException), also when
 * it reaches the lock file by another path, and nobody's look at the lock releases the holder's OS
 * lock (closing any descriptor of a file drops the process's POSIX locks on it).
 */
class InstanceLockTest {
    @TempDir
    Path dir;

    private final long me = ProcessHandle.current().pid();

    @Test
    void aSecondAcquireInTheSameJvmIsLockedNamingThisProcessAndItsActivity() throws Exception {
        Path file = dir.resolve("instances/vm1.lock");
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir);
        try (InstanceLock held = InstanceLock.acquire(file, "vm1", "commit")) {
            for (Path p : List.of(file, link.resolve("instances/vm1.lock"), dir.resolve("instances/../instances/vm1.lock"))) {
                assertThatThrownBy(() -> InstanceLock.acquire(p, "vm1", "run"))
                        .isInstanceOfSatisfying(ToolstackException.class,
                                e -> assertThat(e.kind()).isEqualTo(ToolstackException.Kind.LOCKED))
                        .hasMessage("instance vm1 is busy in process " + me + " (commit); run the command again when"
                                + " that is done");
                assertThat(InstanceLock.probe(p)).isEqualTo(new InstanceLock.Holder.Running(me, "commit"));
            }
            assertThat(osLockHolders(file)).containsExactly(me);
        }
        assertThat(osLockHolders(file)).isEmpty();
        assertThat(InstanceLock.probe(link.resolve("instances/vm1.lock"))).isEqualTo(new InstanceLock.Holder.Free());
        try (InstanceLock again = InstanceLock.acquire(link.resolve("instances/vm1.lock"), "vm1", "run")) {
            assertThat(InstanceLock.probe(file)).isEqualTo(new InstanceLock.Holder.Running(me, "run"));
        }
    }

    @Test
    void threadsRacingForOneInstanceGetItOneAtATimeAndProbesNeverDropIt() throws Exception {
        Path file = dir.resolve("instances/vm1.lock");
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir);
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger won = new AtomicInteger();
        List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Path p = t % 2 == 0 ? file : link.resolve("instances/vm1.lock");
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 200; i++) {
                        try (InstanceLock l = InstanceLock.acquire(p, "vm1", "commit")) {
                            if (holders.incrementAndGet() != 1) {
                                wrong.add(new AssertionError("two holders at once"));
                            }
                            won.incrementAndGet();
                            InstanceLock.probe(p);      // a look by the holder itself
                            if (!osLockHolders(file).contains(me)) {
                                wrong.add(new AssertionError("the OS lock was dropped while held"));
                            }
                            holders.decrementAndGet();
                        } catch (ToolstackException e) {
                            if (e.kind() != ToolstackException.Kind.LOCKED) {
                                wrong.add(e);
                            }
                        }
                        InstanceLock.probe(p);
                    }
                } catch (Throwable e) {
                    wrong.add(e);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(wrong).isEmpty();
        assertThat(won.get()).isPositive();
        assertThat(InstanceLock.probe(file)).isEqualTo(new InstanceLock.Holder.Free());
    }

    /** The pids holding a POSIX lock on {@code file}'s inode, from the kernel's /proc/locks. */
    private static List<Long> osLockHolders(Path file) throws Exception {
        Path locks = Path.of("/proc/locks");
        assumeTrue(Files.isReadable(locks), "needs Linux's /proc/locks");
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey(); // (dev=...,ino=...)
        String ino = key.toString().replaceAll(".*ino=(\\d+).*", "$1");
        List<Long> pids = new ArrayList<>();
        for (String line : Files.readAllLines(locks)) {
            // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
            String[] f = line.trim().split("\\s+");
            if (f.length > 5 && f[1].equals("POSIX") && f[5].endsWith(":" + ino)) {
                pids.add(Long.parseLong(f[4]));
            }
        }
        return pids;
    }
}
