package dev.vmtree.cow.imageio;

import dev.vmtree.cow.disk.DiskImageException;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.ImageFile;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.cow.qcow2.Qcow2Header;
import dev.vmtree.cow.qcow2.Qcow2Reader;
import dev.vmtree.cow.qcow2.Qcow2Writer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Import and export of disk image files: raw and qcow2, format detected by magic. The entry points
 * the toolstack's {@code create --disk-image} and {@code disk export} call.
 *
 * <p>Import only reads files, and streams them: it validates the metadata at once but reads a
 * block's data from the file only when the block is asked for (when the disk is persisted to the
 * store, or read), and never keeps it ({@link ImageFile}; a file changed in between is refused). So
 * the heap holds metadata, not the image. A qcow2 backing chain is followed under the rules of
 * {@link ImportOptions}: each backing file becomes the base {@link DiskSnapshot} of the image above
 * it, whose unallocated clusters read through to it. Export writes a temporary file
 * next to the target and renames it over the target only when complete.
 */
public final class DiskImages {
    private DiskImages() {}

    /** Imports {@code file} (raw or qcow2, detected) with the default backing-file rules. */
    public static VirtualDisk importImage(Path file) throws IOException {
        return importImage(file, ImportOptions.DEFAULTS);
    }

    public static VirtualDisk importImage(Path file, ImportOptions options) throws IOException {
        Path real = realFile(file, file.toString());
        return open(real, DiskFormat.detect(real), options, 0, new HashSet<>());
    }

    /** Imports {@code file} as {@code format} without probing (a qcow2 with a bad magic is then an error, not raw). */
    public static VirtualDisk importImage(Path file, DiskFormat format, ImportOptions options) throws IOException {
        return open(realFile(file, file.toString()), format, options, 0, new HashSet<>());
    }

    private static VirtualDisk open(Path file, DiskFormat format, ImportOptions options, int depth, Set<Path> chain)
            throws IOException {
        if (!chain.add(file)) {
            throw new DiskImageException(file + ": backing chain forms a cycle");
        }
        ImageFile image = ImageFile.of(file);
        if (format == DiskFormat.RAW) {
            return RawImages.read(image);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            String name = file.getFileName().toString();
            Qcow2Header header = Qcow2Header.read(ch, name);
            DiskSnapshot base = null;
            if (header.backingFile() != null) {
                if (depth >= options.maxChainDepth()) {
                    throw new DiskImageException(name + ": backing chain is deeper than " + options.maxChainDepth() + " files");
                }
                Path backing = resolveBacking(file, header.backingFile(), options);
                DiskFormat backingFormat = header.backingFormat() != null
                        ? DiskFormat.named(header.backingFormat())
                        : DiskFormat.detect(backing);
                base = open(backing, backingFormat, options, depth + 1, chain).snapshot();
            }
            return Qcow2Reader.read(ch, image, header, base);
        }
    }

    /** Where a stored backing file name may point: see {@link ImportOptions}. */
    static Path resolveBacking(Path image, String stored, ImportOptions options) throws IOException {
        String name = image.getFileName().toString();
        Path explicit = options.backingFiles().get(stored);
        if (explicit != null) {
            return realFile(explicit, "backing file " + explicit);
        }
        Path relative;
        try {
            relative = Path.of(stored);
        } catch (InvalidPathException e) {
            throw new DiskImageException(name + ": backing file name '" + stored + "' is not a valid path");
        }
        if (relative.isAbsolute() || stored.startsWith("/") || stored.contains(":")) {
            throw new DiskImageException(name + ": backing file '" + stored + "' is absolute or a URL; pass it explicitly to import it");
        }
        for (Path part : relative) {
            if (part.toString().equals("..")) {
                throw new DiskImageException(name + ": backing file '" + stored + "' contains '..'; pass it explicitly to import it");
            }
        }
        Path dir = image.getParent().toRealPath();
        Path real = realFile(dir.resolve(relative).normalize(), name + ": backing file '" + stored + "'");
        if (!real.startsWith(dir)) {
            throw new DiskImageException(name + ": backing file '" + stored + "' resolves outside the image's directory");
        }
        return real;
    }

    private static Path realFile(Path file, String what) throws IOException {
        try {
            Path real = file.toRealPath();
            if (!Files.isRegularFile(real)) {
                throw new DiskImageException(what + " is not a regular file");
            }
            return real;
        } catch (NoSuchFileException e) {
            throw new DiskImageException(what + " does not exist");
        }
    }

    /**
     * Writes {@code disk} to {@code out} in {@code format}; zero blocks stay sparse. The file gets the
     * mode a new file gets under the process's umask, or, when {@code out} exists, keeps that file's
     * mode (an export never widens it); while it is written it is readable by its owner only.
     */
    public static void export(DiskSnapshot disk, DiskFormat format, Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        // Not Files.createTempFile: its 0600 would hide the umask's mode, which a new export must get.
        Path tmp = dir.resolve("." + out.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".tmp");
        Files.createFile(tmp);
        try {
            Set<PosixFilePermission> mode = posix(tmp) ? Files.getPosixFilePermissions(tmp) : null;
            if (mode != null) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            }
            try (RandomAccessFile file = new RandomAccessFile(tmp.toFile(), "rw")) {
                file.setLength(0);
                switch (format) {
                    case RAW -> RawImages.write(disk, file);
                    case QCOW2 -> Qcow2Writer.write(disk, file.getChannel(), out.getFileName().toString());
                }
                file.getChannel().force(true);
            }
            if (mode != null) {
                Files.setPosixFilePermissions(tmp, Files.exists(out) ? Files.getPosixFilePermissions(out) : mode);
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
