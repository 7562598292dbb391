package dev.vmtree.cow;

/**
 * A page could not be faulted in for now: its chunk is absent from this repository and the remote
 * that promises it (a lazy clone's) cannot be reached or could not give it. Nothing is damaged; the
 * same fault may work once the remote is back. A machine stopped by one is mid-instruction: its
 * driver brings it back to a consistent point (see the backend's lazy-restore capability).
 */
public final class PageUnavailableException extends PageFaultException {
    public PageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
