package dev.vmtree.dom0;

import dev.vmtree.dom0.images.DebImport;
import dev.vmtree.dom0.images.PackageException;
import dev.vmtree.dom0.images.RepositoryImages;
import dev.vmtree.store.WriteTransaction;
import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The toolstack's image operations: {@code image import-deb} (Debian packages to a repository
 * image, docs/linux.md) and the catalog {@code create --image} resolves names in. Nothing is
 * written until the packages have been read whole and the image built; the write holds the
 * repository's writer lock.
 */
public final class Images {
    /** RAM a Debian image gets unless create says otherwise. */
    public static final long DEBIAN_MEMORY = 256L << 20;
    /** The kernel command line a Debian image gets unless create --append says otherwise. */
    public static final String DEBIAN_APPEND = "console=ttyS0";

    private final Toolstack ts;

    Images(Toolstack ts) {
        this.ts = ts;
    }

    public RepositoryImages repository() {
        return new RepositoryImages(ts.repository().storeDirectory());
    }

    /** The built-in images of this installation and the repository's. */
    public ImageCatalog catalog() {
        return ImageCatalog.installed().with(repository());
    }

    /** Reads {@code debs} and stores image {@code name} (replacing one of that name). */
    public RepositoryImages.Stored importDebs(List<Path> debs, String name) {
        RepositoryImages.checkName(name);
        if (ImageCatalog.builtIn(name)) {
            throw ToolstackException.badInput("'" + name + "' is a built-in image's name; choose another with --name");
        }
        if (debs.isEmpty()) {
            throw ToolstackException.badInput("give the .deb files to import");
        }
        for (Path d : debs) {
            if (!Files.isRegularFile(d)) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + d + ": "
                        + (Files.exists(d) ? "not a regular file" : "No such file"));
            }
        }
        DebImport.Result r;
        try (Progress.Task p = ts.progress().begin("reading " + debs.size() + " package" + (debs.size() == 1 ? "" : "s"),
                null, null)) {
            r = DebImport.of(debs, name);
        } catch (PackageException e) {
            // an input file that cannot be used (docs/cli.md "Exit status" 4), not a usage error
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage(), e);
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read the packages: "
                    + IoErrors.reason(e), e);
        }
        String description = "Debian Linux " + r.release() + " with busybox " + r.busyboxVersion()
                + " (initramfs; /dev/vda at /mnt)";
        try (WriteTransaction tx = ts.beginWrite()) {
            return repository().put(name, description, r.release(), r.kernel(), r.initramfs(), DEBIAN_APPEND,
                    DEBIAN_MEMORY, r.modules(), debs.stream().map(d -> d.getFileName().toString()).toList());
        }
    }
}
