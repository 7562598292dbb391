package dev.vmtree.cow.nbd;

import dev.vmtree.cow.disk.BlockDevice;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One disk offered by an {@link NbdServer} under a name. A read-only export (a snapshot's disk)
 * answers writes with EPERM; a read-write export (an instance's working disk) applies them and
 * reports each to its {@link WriteListener}.
 */
public record NbdExport(String name, BlockDevice device, boolean readOnly, WriteListener listener) {

    public NbdExport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(listener, "listener");
        if (name.getBytes(StandardCharsets.UTF_8).length > 4096) {
            throw new IllegalArgumentException("export name longer than 4096 bytes");
        }
        if (!readOnly && device.readOnly()) {
            throw new IllegalArgumentException("export '" + name + "' is read-write but its device is read-only");
        }
    }

    public static NbdExport readOnly(String name, BlockDevice device) {
        return new NbdExport(name, device, true, WriteListener.NONE);
    }

    public static NbdExport readWrite(String name, BlockDevice device, WriteListener listener) {
        return new NbdExport(name, device, false, listener);
    }
}
