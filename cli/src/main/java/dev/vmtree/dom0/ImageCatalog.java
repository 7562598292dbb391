package dev.vmtree.dom0;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The images {@code vmtree create --image NAME} accepts: guests that ship with vmtree, found
 * relative to the installation directory ({@code vmtree.home}, which bin/vmtree sets, or
 * {@code $VMTREE_HOME}). Only images whose file really exists are offered. Later kinds (downloaded
 * distributions such as debian-riscv64) join the same list. Immutable; thread-safe.
 */
public final class ImageCatalog {

    /** How a guest boots: an ELF run in S-mode under the hypervisor's SBI, or bare-metal M-mode. */
    public enum Boot { SUPERVISOR_ELF, MACHINE_ELF }

    /** One built-in image: its name, what it is, where it lives under the installation, how it boots. */
    public record Image(String name, String description, String relativePath, Boot boot, Path path,
                        long defaultDiskBytes) {}

    /** {@code defaultDiskBytes}: the disk {@code create --image} gives it when no disk option is passed (0: none). */
    private record Entry(String name, String description, String relativePath, Boot boot, long defaultDiskBytes) {}

    /** Every guest vmtree knows how to offer; {@link #available()} filters to those installed. */
    private static final List<Entry> BUILT_IN = List.of(
            new Entry("kvshell", "interactive key-value shell keeping its state in RAM and on its virtio disk"
                    + " (set, get, list, sum, save, halt): branches visibly diverge", "guests/bin/kvshell.elf",
                    Boot.SUPERVISOR_ELF, 1L << 20),
            new Entry("hello", "prints a greeting on the console and powers off", "guests/bin/hello.elf",
                    Boot.SUPERVISOR_ELF, 0));

    private final Path home;

    public ImageCatalog(Path home) {
        this.home = home;
    }

    /** The catalog of this installation: system property vmtree.home, else $VMTREE_HOME; empty when neither is set. */
    public static ImageCatalog installed() {
        String h = System.getProperty("vmtree.home");
        if (h == null || h.isEmpty()) {
            h = System.getenv("VMTREE_HOME");
        }
        return new ImageCatalog(h == null || h.isEmpty() ? null : Path.of(h).toAbsolutePath().normalize());
    }

    public Optional<Path> home() {
        return Optional.ofNullable(home);
    }

    /** The images whose files exist in this installation, in catalog order. */
    public List<Image> available() {
        if (home == null) {
            return List.of();
        }
        return BUILT_IN.stream()
                .map(e -> new Image(e.name(), e.description(), e.relativePath(), e.boot(), home.resolve(e.relativePath()),
                        e.defaultDiskBytes()))
                .filter(i -> Files.isRegularFile(i.path()))
                .toList();
    }

    /** The image called {@code name}, or FAILED naming what is available. */
    public Image get(String name) {
        return available().stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> ToolstackException.failed("no image '" + name + "' (available: "
                        + (available().isEmpty() ? "none in " + (home == null ? "an unknown installation" : home)
                        : String.join(", ", available().stream().map(Image::name).toList())) + "; see `vmtree image list`)"));
    }
}
