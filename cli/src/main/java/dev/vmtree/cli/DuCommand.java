package dev.vmtree.cli;

import dev.vmtree.dom0.Sizes;
import dev.vmtree.dom0.SpaceUsage;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree du}: space used by the repository, per branch, tag and instance. */
@Command(name = "du", mixinStandardHelpOptions = true,
        description = {"Show the space the repository uses (packs, indexes, meta.git), the compression ratio"
                + " (raw chunk bytes / on-disk bytes) and the dedup ratio (logical bytes of every image of every live"
                + " snapshot / raw bytes of the distinct chunks they need).",
            "Per branch, tag and instance: on-disk bytes only it needs (unique; what deleting it could free) and"
                + " bytes it shares with another."})
public final class DuCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = {"-b", "--bytes"}, description = "Print exact byte counts instead of KiB/MiB/GiB.")
    boolean bytes;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            SpaceUsage u = ts.spaceUsage();
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("directory", u.directory().toString())
                        .field("totalBytes", u.totalBytes())
                        .name("packs").beginObject().field("count", u.packs()).field("bytes", u.packBytes()).endObject()
                        .field("indexBytes", u.indexBytes()).field("metaBytes", u.metaBytes())
                        .field("otherBytes", u.otherBytes())
                        .name("chunks").beginObject().field("count", u.chunks()).field("rawBytes", u.chunkRawBytes())
                        .field("storedBytes", u.chunkStoredBytes()).endObject()
                        .name("compressionRatio").value(u.compressionRatio())
                        .field("snapshots", u.snapshots()).field("logicalImageBytes", u.logicalImageBytes())
                        .field("liveRawBytes", u.liveRawBytes()).field("liveStoredBytes", u.liveStoredBytes())
                        .name("dedupRatio").value(u.dedupRatio()).name("owners").beginArray();
                for (SpaceUsage.Owner o : u.owners()) {
                    j.beginObject().field("name", o.name()).field("uniqueBytes", o.uniqueBytes())
                            .field("sharedBytes", o.sharedBytes()).endObject();
                }
                Dom0Cli.printJson(spec, j.endArray().endObject());
                return 0;
            }
            PrintWriter out = Dom0Cli.out(spec);
            out.printf("%s: %s%n", u.directory(), size(u.totalBytes()));
            out.printf("  packs     %s in %d pack(s), %d chunks%n", size(u.packBytes()), u.packs(), u.chunks());
            out.printf("  indexes   %s%n", size(u.indexBytes()));
            out.printf("  meta.git  %s%n", size(u.metaBytes()));
            out.printf("  other     %s%n", size(u.otherBytes()));
            out.printf(Locale.ROOT, "compression %.2fx (%s raw in %s on disk)%n", u.compressionRatio(),
                    size(u.chunkRawBytes()), size(u.chunkStoredBytes()));
            out.printf(Locale.ROOT, "dedup %.2fx (%s of images in %d snapshot(s) and working states need %s of"
                    + " distinct chunks)%n", u.dedupRatio(), size(u.logicalImageBytes()), u.snapshots(), size(u.liveRawBytes()));
            if (!u.owners().isEmpty()) {
                out.printf("%-24s %12s %12s%n", "", "unique", "shared");
                for (SpaceUsage.Owner o : u.owners()) {
                    out.printf("%-24s %12s %12s%n", o.name(), size(o.uniqueBytes()), size(o.sharedBytes()));
                }
            }
            return 0;
        }
    }

    private String size(long n) {
        return bytes ? Long.toString(n) : Sizes.human(n);
    }
}
