package dev.vmtree.cli;

import dev.vmtree.dom0.ImageCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vmtree image list}: the images {@code create --image} accepts. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Images that `vmtree create --image NAME` accepts.",
        subcommands = {ImageCommand.List.class})
public final class ImageCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the built-in guests installed with vmtree (under its installation directory).")
    static final class List implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            ImageCatalog catalog = ImageCatalog.installed();
            var images = catalog.available();
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginArray();
                images.forEach(i -> j.beginObject().field("name", i.name()).field("description", i.description())
                        .field("path", i.path().toString()).field("boot", i.boot().name().toLowerCase()).endObject());
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
}
