package dev.vmtree.cli;

import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.images.RepositoryImages;
import dev.vmtree.store.Repository;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree image list|import-deb|remove}: the images {@code create --image} accepts. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Images that `vmtree create --image NAME` accepts: built-in guests, and images made in the"
                + " repository from Debian packages.",
        subcommands = {ImageCommand.List.class, ImageCommand.ImportDeb.class, ImageCommand.Remove.class})
public final class ImageCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the built-in guests installed with vmtree (under its installation directory), then,"
                    + " inside a repository, the images imported into it.")
    static final class List implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            ImageCatalog catalog = ImageCatalog.installed();
            Path top = Repository.find(Dom0Cli.root(spec).workingDirectory()).orElse(null);
            if (top != null) {
                catalog = catalog.with(new RepositoryImages(top.resolve(Repository.DIR)));
            }
            var images = catalog.available();
            catalog.damaged().forEach(d -> spec.commandLine().getErr().println("vmtree: " + d));
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginArray();
                images.forEach(i -> j.beginObject().field("name", i.name()).field("description", i.description())
                        .field("path", i.path().toString()).field("boot", i.boot().name().toLowerCase())
                        .field("kind", i.kind()).endObject());
                Dom0Cli.printJson(spec, j.endArray());
                return;
            }
            if (images.isEmpty()) {
                spec.commandLine().getErr().println("vmtree: no built-in images found in "
                        + catalog.home().map(Object::toString).orElse("the installation (vmtree.home is not set; run"
                        + " through bin/vmtree)"));
                return;
            }
            images.forEach(i -> Dom0Cli.out(spec).printf("%-10s %s%n", i.name(), i.description()));
        }
    }

    @Command(name = "import-deb", mixinStandardHelpOptions = true,
            description = {"Make a bootable image in this repository from Debian packages: the kernel of a"
                    + " linux-image-*-riscv64 package and an initramfs holding busybox (from busybox-static), an"
                    + " /init and the modules the platform needs (virtio_mmio, virtio_blk, virtio_rng, ext4 and"
                    + " their dependencies). The init mounts /proc, /sys and /dev, loads the modules, mounts"
                    + " /dev/vda at /mnt when it holds a filesystem, and leaves a shell on the console.",
                "An image of the same name is replaced. guests/fetch-debian.sh fetches the packages; see"
                    + " docs/linux.md."},
            footer = {"", "Examples:", "  vmtree image import-deb $(guests/fetch-debian.sh)",
                "  vmtree create vm --image debian --disk-size 64M --mkfs ext4"})
    static final class ImportDeb implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "debian",
                description = "The image's name (default: ${DEFAULT-VALUE}).")
        String name;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "The .deb files (kernel and busybox-static).")
        java.util.List<Path> debs;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                RepositoryImages.Stored s = ts.images().importDebs(debs, name);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", s.name())
                            .field("description", s.description()).field("release", s.release())
                            .field("kernel", s.kernel().sha256()).field("kernelBytes", s.kernel().size())
                            .field("initrd", s.initrd().sha256()).field("initrdBytes", s.initrd().size())
                            .field("modules", String.join(" ", s.modules())).endObject());
                } else {
                    Dom0Cli.say(spec, "imported image " + s.name() + ": Linux " + s.release() + " ("
                            + s.kernel().size() + " bytes), initramfs " + s.initrd().size() + " bytes with modules "
                            + String.join(" ", s.modules()));
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove an image imported into this repository (machines created from it keep running:"
                    + " their snapshots hold everything they booted).")
    static final class Remove implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The image to remove.")
        String name;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec); var tx = ts.beginWrite()) {
                if (!ts.images().repository().remove(name)) {
                    throw new CliException(ExitCodes.FAILURE, "no image '" + name + "' in this repository");
                }
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("removed", name).endObject());
                } else {
                    Dom0Cli.say(spec, "removed image " + name);
                }
                return ExitCodes.OK;
            }
        }
    }
}
