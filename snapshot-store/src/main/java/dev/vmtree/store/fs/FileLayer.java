package dev.vmtree.store.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Every durable write of the chunk store goes through this small layer, so a test double can
 * model what survives a power loss: only data that was fsynced, and only directory entries whose
 * directory was fsynced after they were created, renamed or deleted.
 *
 * <p>Threading: implementations are safe for concurrent use; a single {@link WritableFile} is used
 * by one thread at a time, a {@link ReadableFile} by any number of threads.
 */
public interface FileLayer {

    /** Creates (or truncates) a file for writing. The new name is durable only after {@link #fsyncDirectory}. */
    WritableFile create(Path file) throws IOException;

    /** Opens a file for positional reads. */
    ReadableFile openRead(Path file) throws IOException;

    /** Atomically replaces {@code to} by {@code from}; durable only after {@link #fsyncDirectory}. */
    void rename(Path from, Path to) throws IOException;

    /** Deletes a file if it exists. */
    void delete(Path file) throws IOException;

    /** Makes creations, renames and deletions in {@code dir} durable. */
    void fsyncDirectory(Path dir) throws IOException;

    /** File names in {@code dir} (not paths), any order; empty when the directory is missing. */
    List<String> list(Path dir) throws IOException;

    boolean exists(Path file);

    void createDirectories(Path dir) throws IOException;

    /** A file being written from the start, sequentially. */
    interface WritableFile extends AutoCloseable {
        void write(ByteBuffer src) throws IOException;

        /** Bytes written so far. */
        long size();

        /** Makes every byte written so far durable. */
        void fsync() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** A file read at absolute positions. */
    interface ReadableFile extends AutoCloseable {
        /** Reads up to {@code dst.remaining()} bytes at {@code pos}; returns -1 at end of file. */
        int read(ByteBuffer dst, long pos) throws IOException;

        long size() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Reads a whole (small) file. */
    default byte[] readAll(Path file) throws IOException {
        try (ReadableFile f = openRead(file)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new IOException("file too large: " + file);
            }
            ByteBuffer bb = ByteBuffer.allocate((int) size);
            while (bb.hasRemaining()) {
                if (f.read(bb, bb.position()) < 0) {
                    break;
                }
            }
            return bb.flip().remaining() == bb.capacity() ? bb.array() : java.util.Arrays.copyOf(bb.array(), bb.limit());
        }
    }

    /**
     * Replaces {@code file} with {@code content} so that after a crash it holds either the old or
     * the new content, never a mix: write a temporary file, fsync it, rename it over, fsync the directory.
     */
    default void writeAtomically(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (WritableFile w = create(tmp)) {
            w.write(ByteBuffer.wrap(content));
            w.fsync();
        }
        rename(tmp, file);
        fsyncDirectory(file.getParent());
    }

    default void writeAtomically(Path file, String content) throws IOException {
        writeAtomically(file, content.getBytes(StandardCharsets.UTF_8));
    }
}
