package dev.vmtree.dom0.remote;

import dev.vmtree.store.remote.RemoteFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpInputStreamAsync;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * {@link RemoteFiles} over SFTP in an {@link SshConnection}'s session: the root is the remote's path
 * (absolute, or relative to the login directory as scp and git take it). Reads of a range ask for
 * exactly its bytes, several requests in flight; a file is durable when its stream closes (the
 * server's fsync@openssh.com where it offers it); a rename replaces its target atomically through
 * posix-rename@openssh.com (or SFTP 5's overwrite flag), and only where the server has neither does
 * it remove the target first, which is safe for the names vmtree renames over: content-named packs,
 * whose bytes a same-named file already holds. Closing this closes the connection. Not thread-safe.
 */
public final class SftpFiles implements RemoteFiles {
    /** Bytes per read or write request: what OpenSSH's sftp asks for, and below every server's limit. */
    static final int REQUEST = 32 << 10;

    private final SshConnection connection;
    private final SftpClient sftp;
    private final String root;
    private final String describe;
    private final OpenSSHFsyncExtension fsync;
    private final OpenSSHPosixRenameExtension posixRename;

    /**
     * @param root the remote's directory: absolute, or relative to the login directory ({@code ~/x}
     *             is taken as {@code x}); its parent need not exist yet ({@link #mkdirs} makes it)
     */
    public SftpFiles(SshConnection connection, String root, String describe) throws IOException {
        this.connection = connection;
        this.sftp = connection.sftp();
        String r = root.startsWith("/~/") ? root.substring(3) : root.startsWith("~/") ? root.substring(2) : root;
        if (r.equals("/~") || r.equals("~")) {
            r = ".";
        }
        while (r.length() > 1 && r.endsWith("/")) {
            r = r.substring(0, r.length() - 1);
        }
        if (r.isEmpty() || r.startsWith("~")) {
            throw new IllegalArgumentException("an SSH remote's path is absolute or relative to the login directory: "
                    + root + " is neither (~user is not supported)");
        }
        this.root = r;
        this.describe = describe;
        OpenSSHFsyncExtension f = sftp.getExtension(OpenSSHFsyncExtension.class);
        this.fsync = f != null && f.isSupported() ? f : null;
        OpenSSHPosixRenameExtension p = sftp.getExtension(OpenSSHPosixRenameExtension.class);
        this.posixRename = p != null && p.isSupported() ? p : null;
    }

    /** The remote path of {@code path}, which is relative to the root. */
    public String at(String path) {
        if (path.isEmpty()) {
            return root;
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw new IllegalArgumentException("path " + path + " leaves " + describe);
            }
        }
        return root.endsWith("/") ? root + path : root + "/" + path;
    }

    /** Whether the server makes files durable on request (fsync@openssh.com). */
    public boolean syncs() {
        return fsync != null;
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public boolean writable() {
        return true;
    }

    private static boolean missing(IOException e) {
        return e instanceof SftpException se && (se.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE
                || se.getStatus() == SftpConstants.SSH_FX_NO_SUCH_PATH);
    }

    /** A NoSuchFileException for a missing file (what callers test for), the server's error otherwise. */
    private IOException mapped(String path, IOException e) {
        if (missing(e)) {
            NoSuchFileException n = new NoSuchFileException(describe + "/" + path);
            n.initCause(e);
            return n;
        }
        if (e instanceof SftpException se && se.getStatus() == SftpConstants.SSH_FX_FILE_ALREADY_EXISTS) {
            return new FileAlreadyExistsException(describe + "/" + path);
        }
        return new IOException(describe + "/" + path + ": " + e.getMessage(), e);
    }

    @Override
    public boolean exists(String path) throws IOException {
        try {
            sftp.stat(at(path));
            return true;
        } catch (IOException e) {
            if (missing(e)) {
                return false;
            }
            throw mapped(path, e);
        }
    }

    public boolean isDirectory(String path) throws IOException {
        try {
            return sftp.stat(at(path)).isDirectory();
        } catch (IOException e) {
            if (missing(e)) {
                return false;
            }
            throw mapped(path, e);
        }
    }

    private CloseableHandle open(String path, EnumSet<OpenMode> modes) throws IOException {
        try {
            return sftp.open(at(path), modes);
        } catch (IOException e) {
            throw mapped(path, e);
        }
    }

    @Override
    public byte[] readAll(String path, int max) throws IOException {
        try (CloseableHandle h = open(path, EnumSet.of(OpenMode.Read))) {
            long size = sftp.stat(h).getSize();
            if (size > max) {
                throw new TooLargeException(describe + "/" + path + " is " + size + " bytes, more than the " + max + " it may be");
            }
            byte[] b = new byte[(int) size];
            int n = readAt(h, 0, b, 0, b.length);
            if (n != b.length) {
                throw new IOException(describe + "/" + path + " changed while it was read");
            }
            if (sftp.read(h, size, new byte[1], 0, 1) > 0) {
                throw new IOException(describe + "/" + path + " grew while it was read");
            }
            return b;
        }
    }

    /** Reads up to {@code len} bytes at {@code offset}; fewer only at the end of the file. */
    private int readAt(CloseableHandle h, long offset, byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = sftp.read(h, offset + done, b, off + done, Math.min(REQUEST, len - done));
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    @Override
    public InputStream read(String path, long offset, long length) throws IOException {
        CloseableHandle h = open(path, EnumSet.of(OpenMode.Read));
        // Whole requests through sshd's pipelined stream: told that the file ends one byte before the
        // last whole request's end, it asks for no request past it. The tail, under one request, is read
        // on its own, so not a byte beyond the range crosses the network.
        long whole = length / REQUEST * REQUEST;
        InputStream head = whole == 0 ? InputStream.nullInputStream()
                : new SftpInputStreamAsync((AbstractSftpClient) sftp, REQUEST, offset, offset + whole - 1, at(path), h, false);
        return new InputStream() {
            private long pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (pos >= length) {
                    return -1;
                }
                int n;
                if (pos < whole) {
                    n = head.read(b, off, (int) Math.min(len, whole - pos));
                } else {
                    n = sftp.read(h, offset + pos, b, off, (int) Math.min(len, length - pos));
                }
                if (n > 0) {
                    pos += n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                try (h; head) {
                    // both closed
                }
            }
        };
    }

    @Override
    public List<String> list(String dir) throws IOException {
        List<String> out = new ArrayList<>();
        try {
            try {
                for (SftpClient.DirEntry e : sftp.readDir(at(dir))) {
                    if (!e.getFilename().equals(".") && !e.getFilename().equals("..")) {
                        out.add(e.getFilename());
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();  // sshd's listing reads lazily, failing as it iterates
            }
        } catch (IOException e) {
            if (missing(e)) {
                return List.of();
            }
            throw mapped(dir, e);
        }
        out.sort(null);
        return out;
    }

    @Override
    public void mkdirs(String dir) throws IOException {
        String full = at(dir);
        StringBuilder p = new StringBuilder(full.startsWith("/") ? "/" : "");
        for (String part : full.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (!p.isEmpty() && p.charAt(p.length() - 1) != '/') {
                p.append('/');
            }
            p.append(part);
            String at = p.toString();
            try {
                if (!sftp.stat(at).isDirectory()) {
                    throw new IOException(describe + ": " + at + " is not a directory");
                }
            } catch (IOException e) {
                if (!missing(e)) {
                    throw e instanceof SftpException ? new IOException(describe + ": " + at + ": " + e.getMessage(), e) : e;
                }
                try {
                    sftp.mkdir(at);
                } catch (IOException made) {
                    if (!sftp.stat(at).isDirectory()) {  // another writer made it meanwhile: fine
                        throw new IOException(describe + ": cannot make " + at + ": " + made.getMessage(), made);
                    }
                }
            }
        }
    }

    @Override
    public OutputStream create(String path) throws IOException {
        CloseableHandle h = open(path, EnumSet.of(OpenMode.Write, OpenMode.Create, OpenMode.Truncate));
        SftpOutputStreamAsync out = new SftpOutputStreamAsync((AbstractSftpClient) sftp, REQUEST, at(path), h, false);
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                try (h) {
                    out.close();  // every write acknowledged
                    if (fsync != null) {
                        fsync.fsync(h);
                    }
                } catch (IOException e) {
                    throw mapped(path, e);
                }
            }
        };
    }

    @Override
    public void rename(String from, String to) throws IOException {
        String a = at(from);
        String b = at(to);
        try {
            if (posixRename != null) {
                posixRename.posixRename(a, b);
            } else if (sftp.getVersion() >= SftpConstants.SFTP_V5) {
                sftp.rename(a, b, SftpClient.CopyMode.Atomic, SftpClient.CopyMode.Overwrite);
            } else {
                try {
                    sftp.rename(a, b);
                } catch (SftpException e) {
                    if (!exists(to)) {
                        throw e;
                    }
                    sftp.remove(b);  // SFTP 3 without posix-rename cannot replace: see the class comment
                    sftp.rename(a, b);
                }
            }
        } catch (IOException e) {
            throw mapped(from, e);
        }
    }

    @Override
    public void delete(String path) throws IOException {
        try {
            sftp.remove(at(path));
        } catch (IOException e) {
            if (!missing(e)) {
                throw mapped(path, e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            sftp.close();
        } finally {
            connection.close();
        }
    }
}
