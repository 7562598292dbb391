package dev.vmtree.cow.imageio;

import dev.vmtree.cow.disk.DiskImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/** Disk image file formats vmtree imports and exports, and detection by magic number. */
public enum DiskFormat {
    RAW,
    QCOW2;

    /** The format named as QEMU names it ("raw", "qcow2"), case-insensitive. */
    public static DiskFormat named(String name) throws DiskImageException {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "raw" -> RAW;
            case "qcow2" -> QCOW2;
            default -> throw new DiskImageException("unsupported disk image format '" + name + "' (raw and qcow2 are supported)");
        };
    }

    public String qemuName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * qcow2 if the file starts with the qcow2 magic; a clear error for other image formats a user
     * might mistake for raw (vmdk, vhd, vhdx, vdi, qed); raw otherwise.
     */
    public static DiskFormat detect(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(72);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // keep reading: small files simply leave the buffer short
            }
        }
        b.flip();
        if (b.remaining() >= 4 && b.getInt(0) == 0x514649fb) {
            return QCOW2;
        }
        String head = StandardCharsets.ISO_8859_1.decode(b.duplicate()).toString();
        String other = head.startsWith("KDMV") ? "vmdk"
                : head.startsWith("conectix") ? "vpc (vhd)"
                : head.startsWith("vhdxfile") ? "vhdx"
                : head.startsWith("QED\0") ? "qed"
                : b.remaining() >= 68 && b.getInt(64) == 0x7f10dabe ? "vdi"
                : null;
        if (other != null) {
            throw new DiskImageException(file + ": " + other + " images are not supported (convert with qemu-img to raw or qcow2)");
        }
        return RAW;
    }
}
