package dev.vmtree.cli;

import dev.vmtree.dom0.Refs;
import dev.vmtree.dom0.Toolstack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree tag [-l | -d NAME | [-s [-m MSG] [--key FILE]] NAME [REF]]}: golden images, optionally signed. */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = {"List tags, tag a snapshot (default HEAD) as a golden image, or delete a tag.",
            "Tags never move; deleting one needs --force, because someone may have shipped it (the audit log records it).",
            "-s makes a signed tag: an annotated tag object signed with an SSH key (as `git tag -s` with"
                + " gpg.format=ssh), which `vmtree verify` checks."})
public final class TagCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = {"-l", "--list"}, description = "List tags (the default without NAME).")
    boolean list;

    @Option(names = "-d", description = "Delete tag NAME (needs --force).")
    boolean delete;

    @Option(names = {"-f", "--force"}, description = "With -d: really delete a golden image.")
    boolean force;

    @Option(names = {"-s", "--sign"}, description = "Sign the tag with an SSH key (--key, else config user.signingKey);"
            + " the tagger is user.name <user.email>.")
    boolean sign;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "With -s: the tag's message.")
    String message;

    @Option(names = "--key", paramLabel = "FILE", description = "With -s: the private SSH key file to sign with.")
    java.nio.file.Path key;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Tag to create or delete.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REF", description = "Snapshot to tag (default HEAD).")
    String ref;

    @Override
    public Integer call() {
        if (!sign && (message != null || key != null)) {
            throw new CliException(ExitCodes.USAGE, "-m and --key go with -s (a signed tag)");
        }
        if (sign && (delete || list || name == null)) {
            throw new CliException(ExitCodes.USAGE, "usage: vmtree tag -s [-m MSG] [--key FILE] NAME [REF]");
        }
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
                Refs.Tag t = sign ? ts.refs().createSignedTag(name, ref, message, key) : ts.refs().createTag(name, ref);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", t.name()).field("target", t.target().hex())
                            .field("signed", sign).endObject());
                } else {
                    Dom0Cli.say(spec, (sign ? "signed tag " : "tag ") + name + " at " + t.target().shortHex());
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
