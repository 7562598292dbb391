package dev.vmtree.cow.disk;

/** A write reached a read-only disk (a snapshot's disk, or a read-only export). */
public final class ReadOnlyDiskException extends RuntimeException {
    public ReadOnlyDiskException(String message) {
        super(message);
    }
}
