package dev.vmtree.dom0.images;

/**
 * A package or archive that cannot be used: not the format it claims, truncated, hostile (a path
 * leaving the archive, a size beyond the limits, a decompression bomb) or lacking what an image
 * needs. The message is one line naming what is wrong; the caller adds which file.
 */
public final class PackageException extends Exception {
    public PackageException(String message) {
        super(message);
    }

    public PackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
