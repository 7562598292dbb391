package dev.vmtree.cli;

import dev.vmtree.dom0.Refs;
import dev.vmtree.dom0.Toolstack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree tag [-l | -d NAME | NAME [REF]]}: golden images. */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = {"List tags, tag a snapshot (default HEAD) as a golden image, or delete a tag.",
            "Tags never move; deleting one needs --force, because someone may have shipped it."})
public final class TagCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = {"-l", "--list"}, description = "List tags (the default without NAME).")
    boolean list;

    @Option(names = "-d", description = "Delete tag NAME (needs --force).")
    boolean delete;

    @Option(names = {"-f", "--force"}, description = "With -d: really delete a golden image.")
    boolean force;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Tag to create or delete.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REF", description = "Snapshot to tag (default HEAD).")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            if (delete) {
                if (name == null || ref != null || list) {
                    throw new CliException(ExitCodes.USAGE, "usage: vmtree tag -d [--force] NAME");
                }
                var was = ts.refs().deleteTag(name, force);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", name).field("deleted", was.hex()).endObject());
                } else {
                    Dom0Cli.say(spec, "deleted tag " + name + " (was " + was.shortHex() + ")");
                }
            } else if (name != null && !list) {
                Refs.Tag t = ts.refs().createTag(name, ref);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", t.name()).field("target", t.target().hex())
                            .endObject());
                } else {
                    Dom0Cli.say(spec, "tag " + name + " at " + t.target().shortHex());
                }
            } else {
                var tags = ts.refs().tags();
                if (Dom0Cli.json(spec)) {
                    Json j = new Json().beginArray();
                    tags.forEach(t -> j.beginObject().field("name", t.name()).field("target", t.target().hex()).endObject());
                    Dom0Cli.printJson(spec, j.endArray());
                } else {
                    tags.forEach(t -> Dom0Cli.out(spec).printf("%-20s %s%n", t.name(), t.target().shortHex()));
                }
            }
            return 0;
        }
    }
}
