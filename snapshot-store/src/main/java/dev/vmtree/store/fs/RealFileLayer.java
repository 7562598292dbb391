package dev.vmtree.store.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The {@link FileLayer} over the real file system: {@link FileChannel#force} and directory fsync.
 * Files it creates are 0600 and directories 0700 whatever the umask ({@link OwnerOnly}).
 */
public final class RealFileLayer implements FileLayer {

    public static final RealFileLayer INSTANCE = new RealFileLayer();

    private RealFileLayer() {}

    @Override
    public WritableFile create(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), OwnerOnly.file());
        OwnerOnly.restrict(file);      // a file left from before (a crash's .tmp) keeps no wider mode
        return new WritableFile() {
            long size;

            @Override
            public void write(ByteBuffer src) throws IOException {
                while (src.hasRemaining()) {
                    size += ch.write(src);
                }
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public void fsync() throws IOException {
                ch.force(false);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public ReadableFile openRead(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new ReadableFile() {
            @Override
            public int read(ByteBuffer dst, long pos) throws IOException {
                return ch.read(dst, pos);
            }

            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    @Override
    public void fsyncDirectory(Path dir) throws IOException {
        // Linux lets a directory be opened read-only and fsynced; that makes renames in it durable.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return names;
    }

    @Override
    public boolean exists(Path file) {
        return Files.exists(file);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        OwnerOnly.createDirectories(dir);
    }
}
