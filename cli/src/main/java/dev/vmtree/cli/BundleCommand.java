package dev.vmtree.cli;

import dev.vmtree.store.Bundle;
import dev.vmtree.store.BundleException;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree bundle create|verify|unbundle}: snapshots carried between repositories in one file. */
@Command(name = "bundle", mixinStandardHelpOptions = true,
        description = {"Carry branches and tags to another repository in one file (docs/format.md \"Bundle\"): the"
                + " snapshot commits as a Git bundle and the chunks they need as a pack. With --base, only what the"
                + " receiver lacks beyond that snapshot."},
        subcommands = {BundleCommand.Create.class, BundleCommand.Verify.class, BundleCommand.Unbundle.class})
public final class BundleCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code vmtree bundle create FILE REF... [--base REF]}. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Write FILE carrying the branches and tags REF and every snapshot they reach, with the chunks"
                    + " those need. --base makes it thin: what --base's snapshots hold is left out, and the receiver"
                    + " must have them.")
    public static final class Create implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The bundle to write (replaced atomically).")
        Path file;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "REF", description = "Branches or tags to carry.")
        List<String> refs;

        @Option(names = "--base", paramLabel = "REF", description = "A snapshot the receiver has (repeatable).")
        List<String> bases = new ArrayList<>();

        @Override
        public Integer call() {
            try (Repository repo = StoreCli.open(spec)) {
                Map<String, SnapshotId> named = new LinkedHashMap<>();
                Map<String, SnapshotId> all = repo.refs();
                for (String r : refs) {
                    String full = r.startsWith("refs/") ? r
                            : all.containsKey("refs/heads/" + r) ? "refs/heads/" + r : "refs/tags/" + r;
                    if (!(full.startsWith("refs/heads/") || full.startsWith("refs/tags/")) || !all.containsKey(full)) {
                        throw new CliException(ExitCodes.FAILURE, "no branch or tag named " + r);
                    }
                    named.put(full, all.get(full));
                }
                List<SnapshotId> base = new ArrayList<>();
                for (String b : bases) {
                    base.add(repo.resolve(b).orElseThrow(() -> new CliException(ExitCodes.FAILURE, "unknown revision: " + b)));
                }
                Path target = StoreCli.workingDirectory(spec).resolve(file);
                Bundle.Summary s = Bundle.create(repo, target, named, base);
                print(spec, target, s, "bundled");
                return ExitCodes.OK;
            }
        }
    }

    /** {@code vmtree bundle verify FILE}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every entry of FILE, every chunk's hash, and that this repository has what a thin"
                    + " bundle assumes; print what it carries. Exit status 1 when it cannot be used here.")
    public static final class Verify implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The bundle to check.")
        Path file;

        @Override
        public Integer call() {
            try (Repository repo = StoreCli.open(spec)) {
                Path source = StoreCli.workingDirectory(spec).resolve(file);
                Bundle.Summary s;
                try {
                    s = Bundle.read(repo, source, false, false, StoreCli.LOCK_TIMEOUT, waiting(spec));
                } catch (BundleException e) {
                    if (Dom0Cli.json(spec)) {
                        Dom0Cli.printJson(spec, new Json().beginObject().field("ok", false).field("error", e.getMessage())
                                .endObject());
                    } else {
                        spec.commandLine().getErr().println("vmtree: " + e.getMessage());
                    }
                    return ExitCodes.FAILURE;
                }
                print(spec, source, s, "ok");
                return ExitCodes.OK;
            }
        }
    }

    /** {@code vmtree bundle unbundle FILE [--force]}. */
    @Command(name = "unbundle", mixinStandardHelpOptions = true,
            description = "Import FILE: verify all of it, store its chunks and snapshots, and only then create its"
                    + " branches and tags under their names. A ref that exists here at another snapshot is not moved"
                    + " without --force; on any error nothing changes.")
    public static final class Unbundle implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The bundle to import.")
        Path file;

        @Option(names = {"-f", "--force"}, description = "Move refs that exist here at another snapshot (each move is"
                + " recorded in the audit log).")
        boolean force;

        @Override
        public Integer call() {
            // through the toolstack: the refs a forced unbundle moves are recorded in the audit log
            try (dev.vmtree.dom0.Toolstack ts = Dom0Cli.open(spec)) {
                Path source = StoreCli.workingDirectory(spec).resolve(file);
                try {
                    print(spec, source, ts.refs().unbundle(source, force), "unbundled");
                } catch (Bundle.RefusedException e) {
                    throw new CliException(ExitCodes.FAILURE, e.getMessage(), e);
                }
                return ExitCodes.OK;
            }
        }
    }

    private static java.util.function.Consumer<String> waiting(CommandSpec spec) {
        return msg -> spec.commandLine().getErr().println("vmtree: " + msg);
    }

    private static void print(CommandSpec spec, Path file, Bundle.Summary s, String verb) {
        var h = s.header();
        if (Dom0Cli.json(spec)) {
            Json j = new Json().beginObject().field("ok", true).field("file", file.toString()).field("bytes", s.fileBytes())
                    .field("format", dev.vmtree.store.BundleHeader.VERSION).field("snapshots", s.snapshots()).field("chunks", h.chunks())
                    .field("chunkBytes", h.rawBytes()).field("packBytes", h.packBytes()).field("newChunks", s.newChunks())
                    .name("refs").beginArray();
            h.refs().forEach((name, id) -> {
                j.beginObject().field("name", name).field("snapshot", id.hex());
                SnapshotId here = s.refs().stream().filter(c -> c.name().equals(name)).map(Bundle.RefChange::here)
                        .findFirst().orElse(null);
                j.field("here", here == null ? null : here.hex()).endObject();
            });
            j.endArray().name("bases").beginArray();
            h.bases().forEach(b -> j.value(b.hex()));
            Dom0Cli.printJson(spec, j.endArray().endObject());
            return;
        }
        Dom0Cli.say(spec, String.format("%s %s: %d snapshots, %d chunks (%d bytes, %d packed), %d bytes in all%s",
                verb, file, s.snapshots(), h.chunks(), h.rawBytes(), h.packBytes(), s.fileBytes(),
                h.bases().isEmpty() ? "" : ", thin against " + String.join(", ",
                        h.bases().stream().map(SnapshotId::shortHex).toList())));
        for (var e : h.refs().entrySet()) {
            String here = s.refs().stream().filter(c -> c.name().equals(e.getKey())).findFirst()
                    .map(c -> c.here() == null ? " (new here)" : c.moves() ? " (here at " + c.here().shortHex() + ")" : "")
                    .orElse("");
            Dom0Cli.say(spec, "  " + e.getKey() + " " + e.getValue().shortHex() + here);
        }
    }
}
