package dev.vmtree.store.remote;

import dev.vmtree.store.fs.OwnerOnly;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/** {@link RemoteFiles} in a local directory: every file fsynced before close returns, every rename's directory after. */
public final class LocalFiles implements RemoteFiles {
    private final Path root;

    public LocalFiles(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    private Path at(String path) {
        Path p = root.resolve(path).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("path " + path + " leaves " + root);
        }
        return p;
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public boolean concurrentReads() {
        return true;  // every read opens a file channel of its own
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(at(path));
    }

    @Override
    public byte[] readAll(String path, int max) throws IOException {
        Path p = at(path);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            if (ch.size() > max) {
                throw new TooLargeException(p + " is " + ch.size() + " bytes, more than the " + max + " it may be");
            }
            return Channels.newInputStream(ch).readNBytes((int) ch.size());
        }
    }

    @Override
    public InputStream read(String path, long offset, long length) throws IOException {
        FileChannel ch = FileChannel.open(at(path), StandardOpenOption.READ);
        ch.position(offset);
        return new BoundedInputStream(Channels.newInputStream(ch), length);
    }

    @Override
    public List<String> list(String dir) throws IOException {
        Path d = at(dir);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public void mkdirs(String dir) throws IOException {
        OwnerOnly.createDirectories(at(dir));
    }

    @Override
    public OutputStream create(String path) throws IOException {
        Path p = at(path);
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        OwnerOnly.restrict(p);
        return new FilterOutputStream(Channels.newOutputStream(ch)) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try (ch) {
                    ch.force(true);
                }
            }
        };
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Path t = at(to);
        Files.move(at(from), t, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(t.getParent(), StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void delete(String path) throws IOException {
        Files.deleteIfExists(at(path));
    }

    @Override
    public void close() {}
}
