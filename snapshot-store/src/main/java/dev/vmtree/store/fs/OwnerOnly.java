package dev.vmtree.store.fs;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A repository holds guest RAM and disks, so everything under {@code .vmtree} is for its owner
 * only, whatever the umask: directories are created 0700 and files 0600, and what a library
 * creates with the umask's mode (JGit's refs, reflogs and objects) loses its group and other bits
 * right after. On a file system without POSIX permissions these do nothing.
 */
public final class OwnerOnly {
    private OwnerOnly() {}

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** The attributes a new file gets (rw-------), none where permissions are not POSIX. */
    public static FileAttribute<?>[] file() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
    }

    /** The attributes a new directory gets (rwx------). */
    public static FileAttribute<?>[] directory() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
                : new FileAttribute<?>[0];
    }

    /** {@link Files#createDirectories} where each directory it creates is 0700. */
    public static Path createDirectories(Path dir) throws IOException {
        return Files.createDirectories(dir, directory());
    }

    /** Drops the group and other bits of {@code path} (owner bits stay: a read-only object stays read-only); missing: nothing. */
    public static void restrict(Path path) throws IOException {
        if (!POSIX) {
            return;
        }
        Set<PosixFilePermission> p;
        try {
            p = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (p.removeAll(NOT_OWNER)) {
            Files.setPosixFilePermissions(path, p);
        }
    }

    /** {@link #restrict} for {@code path} and every directory between it and {@code top} (both included). */
    public static void restrictUpTo(Path path, Path top) throws IOException {
        for (Path p = path; p != null && p.startsWith(top); p = p.getParent()) {
            restrict(p);
        }
    }

    /** {@link #restrict} for a whole tree (symbolic links are neither followed nor changed). */
    public static void restrictTree(Path top) throws IOException {
        if (!POSIX || !Files.exists(top)) {
            return;
        }
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (!Files.isSymbolicLink(p)) {
                    restrict(p);
                }
            }
        }
    }
}
