package dev.vmtree.cow;

/** A page could not be faulted in: its chunk is missing, corrupt or unreadable. */
public class PageFaultException extends RuntimeException {
    public PageFaultException(String message) {
        super(message);
    }

    public PageFaultException(String message, Throwable cause) {
        super(message, cause);
    }
}
