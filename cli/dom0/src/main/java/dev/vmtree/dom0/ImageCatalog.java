package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.Boot;
import dev.vmtree.dom0.images.RepositoryImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The images {@code vmtree create --image NAME} accepts: guests that ship with vmtree, found
 * relative to the installation directory ({@code vmtree.home}, which bin/vmtree sets, or
 * {@code $VMTREE_HOME}); only images whose file really exists are offered. Then the images of the
 * repository in use ({@link RepositoryImages}: made by {@code vmtree image import-deb} from Debian
 * packages). Immutable; thread-safe.
 */
public final class ImageCatalog {

    /**
     * One image: its name, what it is, where its kernel lives ({@code relativePath} under the
     * installation for a built-in one), how it boots, and what {@code create --image} gives it unless
     * told otherwise: a disk of {@code defaultDiskBytes} (0: none), {@code initrd} (or null),
     * {@code bootargs} (or null), {@code memoryBytes} of RAM (0: the configured default).
     * {@code kind}: "built-in" (installed with vmtree) or "repository" (image import-deb).
     */
    public record Image(String name, String description, String relativePath, Boot boot, Path path,
                        long defaultDiskBytes, Path initrd, String bootargs, long memoryBytes, String kind) {
        public Image(String name, String description, String relativePath, Boot boot, Path path, long defaultDiskBytes) {
            this(name, description, relativePath, boot, path, defaultDiskBytes, null, null, 0, "built-in");
        }
    }

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
    private final RepositoryImages repository;

    public ImageCatalog(Path home) {
        this(home, null);
    }

    /** {@code repository}: the images of the repository in use, offered after the built-in ones (or null). */
    public ImageCatalog(Path home, RepositoryImages repository) {
        this.home = home;
        this.repository = repository;
    }

    /** The one-line complaints about damaged repository image records (none without a repository). */
    public List<String> damaged() {
        return repository == null ? List.of() : repository.listing().damaged();
    }

    /** This catalog with {@code repository}'s images too. */
    public ImageCatalog with(RepositoryImages repository) {
        return new ImageCatalog(home, repository);
    }

    /** Whether {@code name} is a built-in image's (a repository image may not take it). */
    public static boolean builtIn(String name) {
        return BUILT_IN.stream().anyMatch(e -> e.name().equals(name));
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

    /** The built-in images whose files exist in this installation, in catalog order, then the repository's. */
    public List<Image> available() {
        List<Image> out = new java.util.ArrayList<>();
        if (home != null) {
            BUILT_IN.stream()
                    .map(e -> new Image(e.name(), e.description(), e.relativePath(), e.boot(),
                            home.resolve(e.relativePath()), e.defaultDiskBytes()))
                    .filter(i -> Files.isRegularFile(i.path()))
                    .forEach(out::add);
        }
        if (repository != null) {
            for (RepositoryImages.Stored s : repository.list()) {
                out.add(new Image(s.name(), s.description(), null, Boot.SUPERVISOR_ELF,
                        repository.directory().resolve(s.name()), 0, null, s.bootargs(), s.memory(), "repository"));
            }
        }
        return List.copyOf(out);
    }

    /**
     * The image called {@code name} ready to boot: a repository image's kernel and initramfs are
     * checked against the hashes its record names first.
     */
    public Image resolve(String name) {
        Image i = get(name);
        if (!i.kind().equals("repository")) {
            return i;
        }
        RepositoryImages.Stored s = repository.find(name).orElseThrow(() -> ToolstackException.failed("no image '"
                + name + "'"));
        return new Image(i.name(), i.description(), null, i.boot(), repository.verified(s, s.kernel()), 0,
                repository.verified(s, s.initrd()), s.bootargs(), s.memory(), i.kind());
    }

    /** The image called {@code name}, or FAILED naming what is available. */
    public Image get(String name) {
        if (repository != null && !builtIn(name) && name.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")) {
            repository.find(name); // a damaged record says so rather than "no image"
        }
        return available().stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> ToolstackException.failed("no image '" + name + "' (available: "
                        + (available().isEmpty() ? "none in " + (home == null ? "an unknown installation" : home)
                        : String.join(", ", available().stream().map(Image::name).toList())) + "; see `vmtree image list`)"));
    }
}
