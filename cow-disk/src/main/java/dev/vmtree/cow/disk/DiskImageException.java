package dev.vmtree.cow.disk;

import java.io.IOException;

/**
 * A disk image file is malformed, hostile or unsupported. The message is one line naming the file
 * and the problem (for example "a.qcow2: L2 table at 0x30000 lies past the end of the file").
 */
public final class DiskImageException extends IOException {
    public DiskImageException(String message) {
        super(message);
    }

    public DiskImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
