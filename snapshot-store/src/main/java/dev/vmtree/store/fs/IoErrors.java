package dev.vmtree.store.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * Why an I/O operation failed, as a message can say it after naming the file the user knows. The
 * JDK's file exceptions carry the path (often a temporary or parent file) as their message and the
 * reason apart, or not at all ({@link NoSuchFileException}); this gives the reason alone, in the
 * words of the C library ("No such file or directory"), so no message repeats a path or names a
 * temporary file.
 */
public final class IoErrors {
    private IoErrors() {}

    /** The reason of {@code e} without the paths it names. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException fs) {
            if (fs.getReason() != null && !fs.getReason().isBlank()) {
                return fs.getReason();
            }
            return switch (fs) {
                case NoSuchFileException x -> "No such file or directory";
                case AccessDeniedException x -> "Permission denied";
                case FileAlreadyExistsException x -> "File exists";
                case DirectoryNotEmptyException x -> "Directory not empty";
                case NotDirectoryException x -> "Not a directory";
                case NotLinkException x -> "Not a symbolic link";
                default -> "I/O error";
            };
        }
        String m = e.getMessage();
        if (e instanceof java.io.FileNotFoundException && m != null && m.endsWith(")") && m.contains(" (")) {
            return m.substring(m.lastIndexOf(" (") + 2, m.length() - 1);   // java.io's "PATH (REASON)"
        }
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** The reason of an {@link UncheckedIOException}'s cause. */
    public static String reason(UncheckedIOException e) {
        return reason(e.getCause());
    }
}
