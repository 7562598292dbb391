package dev.vmtree.store.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * The files of a remote store, wherever they are: a local directory, an SFTP session, a static web
 * server. Paths are relative to the remote's root, '/'-separated, and never contain "..": callers
 * build them from names they checked ({@link #checkName}). Implementations are not thread-safe
 * unless they say so.
 */
public interface RemoteFiles extends AutoCloseable {
    /** Where the files are, for messages: a path or a URL without credentials. */
    String describe();

    /** False for read-only transports (static HTTP): the write methods then throw. */
    boolean writable();

    /** Whether {@code path} exists (a file or a directory). */
    boolean exists(String path) throws IOException;

    /** A file larger than a reader allows: hostile or damaged data, not a transport failure. */
    final class TooLargeException extends IOException {
        public TooLargeException(String message) {
            super(message);
        }
    }

    /**
     * The whole file, refusing one longer than {@code max} bytes with a {@link TooLargeException}.
     *
     * @throws java.nio.file.NoSuchFileException when it does not exist
     */
    byte[] readAll(String path, int max) throws IOException;

    /** {@code length} bytes of {@code path} from {@code offset}; the stream may end early only on an error. */
    InputStream read(String path, long offset, long length) throws IOException;

    /** The names in directory {@code dir}, or null when this transport cannot list (static HTTP). */
    List<String> list(String dir) throws IOException;

    void mkdirs(String dir) throws IOException;

    /** A new file (replacing one of that name), durable when the stream is closed without error. */
    OutputStream create(String path) throws IOException;

    /**
     * Whether a file {@link #create}d is never seen half written, so it may be written under its
     * final name (an object store's PUT); false for file systems, where a publisher writes a
     * temporary name and renames it ({@link #publish}).
     */
    default boolean atomicCreate() {
        return false;
    }

    /**
     * Whether {@link #read} may be called from several threads at once (each call its own request
     * or file handle): an object store's or web server's latency is then paid once for several
     * ranges. False unless an implementation says so.
     */
    default boolean concurrentReads() {
        return false;
    }

    /** What writes the content of a file being published. */
    interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code path} so that no reader ever sees part of it: straight to its name where a
     * create is atomic, else to {@code path.tmp} and renamed over it.
     */
    static void publish(RemoteFiles files, String path, Writer content) throws IOException {
        String tmp = files.atomicCreate() ? path : path + ".tmp";
        try (OutputStream o = files.create(tmp)) {
            content.write(o);
        }
        if (!files.atomicCreate()) {
            files.rename(tmp, path);
        }
    }

    /** Renames {@code from} over {@code to} atomically, replacing it. */
    void rename(String from, String to) throws IOException;

    void delete(String path) throws IOException;

    @Override
    void close() throws IOException;

    /** {@code text} as a message may show it: printable ASCII only (anything else '?'), at most 64 characters. */
    static String shown(String text) {
        StringBuilder b = new StringBuilder();
        text.codePoints().limit(64).forEach(c -> b.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return text.codePointCount(0, text.length()) > 64 ? b + "..." : b.toString();
    }

    /** A file name a remote may use: no separator, no "..", no control characters, at most 255 bytes. */
    static String checkName(String name) {
        if (name.isEmpty() || name.length() > 255 || name.equals(".") || name.equals("..") || name.contains("/")
                || name.contains("\\") || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("not a usable file name: '" + shown(name) + "'");
        }
        return name;
    }
}
