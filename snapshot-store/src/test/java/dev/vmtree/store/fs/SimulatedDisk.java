package dev.vmtree.store.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link FileLayer} test double in memory that models power loss strictly: after
 * {@link #powerCycle()} a file holds only what was fsynced, and a directory holds only the names
 * it had at its last directory fsync. {@link #armAfter(long)} makes the n-th mutating operation
 * from now fail (and every operation after it) as if the power went at that moment.
 */
public final class SimulatedDisk implements FileLayer {

    /** Thrown by every operation once the power is gone. */
    public static final class PowerLoss extends IOException {
        PowerLoss() {
            super("simulated power loss");
        }
    }

    private static final class Inode {
        byte[] data = new byte[0];
        int length;
        byte[] durable = new byte[0];
    }

    private final Map<Path, Inode> names = new HashMap<>();
    private final Map<Path, Inode> durableNames = new HashMap<>();
    private final Set<Path> dirs = new HashSet<>();
    private long opsLeft = Long.MAX_VALUE;
    private boolean lost;

    public synchronized void armAfter(long operations) {
        opsLeft = operations;
    }

    public synchronized boolean lost() {
        return lost;
    }

    /** Power comes back: every unsynced byte and directory change is gone. */
    public synchronized void powerCycle() {
        names.clear();
        for (var e : durableNames.entrySet()) {
            Inode i = e.getValue();
            i.data = i.durable.clone();
            i.length = i.data.length;
            names.put(e.getKey(), i);
        }
        lost = false;
        opsLeft = Long.MAX_VALUE;
    }

    private void tick() throws IOException {
        if (lost) {
            throw new PowerLoss();
        }
        if (--opsLeft <= 0) {
            lost = true;
            throw new PowerLoss();
        }
    }

    private void alive() throws IOException {
        if (lost) {
            throw new PowerLoss();
        }
    }

    private static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }

    @Override
    public synchronized WritableFile create(Path file) throws IOException {
        tick();
        Inode inode = new Inode();
        names.put(key(file), inode);
        return new WritableFile() {
            @Override
            public void write(ByteBuffer src) throws IOException {
                synchronized (SimulatedDisk.this) {
                    tick();
                    int n = src.remaining();
                    if (inode.length + n > inode.data.length) {
                        inode.data = Arrays.copyOf(inode.data, Math.max(inode.length + n, inode.data.length * 2));
                    }
                    src.get(inode.data, inode.length, n);
                    inode.length += n;
                }
            }

            @Override
            public long size() {
                synchronized (SimulatedDisk.this) {
                    return inode.length;
                }
            }

            @Override
            public void fsync() throws IOException {
                synchronized (SimulatedDisk.this) {
                    tick();
                    inode.durable = Arrays.copyOf(inode.data, inode.length);
                }
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public synchronized ReadableFile openRead(Path file) throws IOException {
        alive();
        Inode inode = names.get(key(file));
        if (inode == null) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        return new ReadableFile() {
            @Override
            public int read(ByteBuffer dst, long pos) throws IOException {
                synchronized (SimulatedDisk.this) {
                    alive();
                    if (pos >= inode.length) {
                        return -1;
                    }
                    int n = (int) Math.min(dst.remaining(), inode.length - pos);
                    dst.put(inode.data, (int) pos, n);
                    return n;
                }
            }

            @Override
            public long size() {
                synchronized (SimulatedDisk.this) {
                    return inode.length;
                }
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public synchronized void rename(Path from, Path to) throws IOException {
        tick();
        Inode i = names.remove(key(from));
        if (i == null) {
            throw new java.nio.file.NoSuchFileException(from.toString());
        }
        names.put(key(to), i);
    }

    @Override
    public synchronized void delete(Path file) throws IOException {
        tick();
        names.remove(key(file));
    }

    @Override
    public synchronized void fsyncDirectory(Path dir) throws IOException {
        tick();
        Path d = key(dir);
        durableNames.keySet().removeIf(p -> d.equals(p.getParent()));
        names.forEach((p, i) -> {
            if (d.equals(p.getParent())) {
                durableNames.put(p, i);
            }
        });
    }

    @Override
    public synchronized List<String> list(Path dir) throws IOException {
        alive();
        Path d = key(dir);
        List<String> out = new ArrayList<>();
        names.keySet().forEach(p -> {
            if (d.equals(p.getParent())) {
                out.add(p.getFileName().toString());
            }
        });
        return out;
    }

    @Override
    public synchronized boolean exists(Path file) {
        return names.containsKey(key(file)) || dirs.contains(key(file));
    }

    @Override
    public synchronized void createDirectories(Path dir) throws IOException {
        alive();
        dirs.add(key(dir));
    }
}
