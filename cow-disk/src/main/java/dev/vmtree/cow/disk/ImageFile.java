package dev.vmtree.cow.disk;

import dev.vmtree.cow.PageFaultException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * A disk image file on the host that an imported disk reads lazily, so an import holds only the
 * file's metadata and never its data in the heap. Each read opens the file anew (no descriptor is
 * held between reads, whatever the disk's lifetime) and refuses a file whose size, modification
 * time or identity changed since the import, rather than mix two versions of it. Safe to call from
 * any thread.
 */
public final class ImageFile {
    private final Path path;
    private final String name;
    private final long length;
    private final FileTime modified;
    private final Object key;

    private ImageFile(Path path, BasicFileAttributes a) {
        this.path = path;
        this.name = path.getFileName().toString();
        this.length = a.size();
        this.modified = a.lastModifiedTime();
        this.key = a.fileKey();
    }

    /** The file at {@code path} (a real path to a regular file) as it is now. */
    public static ImageFile of(Path path) throws IOException {
        return new ImageFile(path, Files.readAttributes(path, BasicFileAttributes.class));
    }

    public Path path() {
        return path;
    }

    /** The file name, for messages. */
    public String name() {
        return name;
    }

    /** Its length in bytes when it was imported. */
    public long length() {
        return length;
    }

    /** Reads exactly {@code dst.remaining()} bytes at {@code position}. */
    public void read(ByteBuffer dst, long position) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            if (a.size() != length || !a.lastModifiedTime().equals(modified) || !Objects.equals(a.fileKey(), key)) {
                throw new DiskImageException(name + ": the image file changed after it was imported; import it again");
            }
            for (long at = position; dst.hasRemaining(); ) {
                int n = ch.read(dst, at);
                if (n < 0) {
                    throw new DiskImageException(name + ": unexpected end of file at 0x" + Long.toHexString(at));
                }
                at += n;
            }
        }
    }

    /** {@link #read} for a page source: a failure becomes a {@link PageFaultException} naming the file. */
    public void readForPage(ByteBuffer dst, long position) {
        try {
            read(dst, position);
        } catch (IOException e) {
            throw new PageFaultException(e instanceof DiskImageException ? e.getMessage()
                    : "cannot read disk image " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "image file " + path;
    }
}
