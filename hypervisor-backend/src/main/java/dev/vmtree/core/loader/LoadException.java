package dev.vmtree.core.loader;

/** A program, firmware or initrd cannot be loaded; the message is one line naming what is wrong. */
public final class LoadException extends Exception {
    public LoadException(String message) {
        super(message);
    }
}
