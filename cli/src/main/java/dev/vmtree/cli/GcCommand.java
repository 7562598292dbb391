package dev.vmtree.cli;

import dev.vmtree.store.GcReport;
import dev.vmtree.dom0.Toolstack;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree gc}: expires old reflog entries and drops unreachable chunks. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Expire reflog entries older than --expire, drop chunks unreachable from refs, reflogs and"
                + " registered roots, and rewrite the packs (crash-safe). Refuses, deleting nothing, while fsck"
                + " reports anything it cannot account for (a ref, reflog or roots file it cannot read, an instance"
                + " record without its gc root).")
public final class GcCommand implements Runnable, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "--expire", paramLabel = "DURATION",
            description = "Drop reflog entries older than this (e.g. 90d, 12h, 0 = all). Default: config"
                    + " gc.reflogExpire, else 90d.")
    String expire;

    @Override
    public void run() {
        var duration = expire != null ? StoreCli.parseDuration(expire)
                : dev.vmtree.dom0.Toolstack.settingsAt(StoreCli.workingDirectory(spec)).reflogExpire();
        StoreCli.open(spec).close(); // the store's own "not a repository" / damaged-format errors first
        try (Toolstack ts = Dom0Cli.open(spec)) {
            GcReport r;
            try (var p = TerminalProgress.forCommand(spec.commandLine().getErr(), Dom0Cli.quiet(spec), Dom0Cli.json(spec),
                    Dom0Cli.root(spec)::interactive)
                    .begin("collecting garbage", null, null)) {
                r = ts.gc(duration); // refused while fsck would find something gc cannot account for
            }
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject().field("chunksKept", r.chunksKept())
                        .field("chunksDropped", r.chunksDropped()).field("bytesBefore", r.bytesBefore())
                        .field("bytesAfter", r.bytesAfter()).field("reflogEntriesExpired", r.reflogEntriesExpired())
                        .endObject());
                return;
            }
            if (Dom0Cli.quiet(spec)) {
                return;
            }
            spec.commandLine().getOut().printf("kept %d chunks, dropped %d; packs %d -> %d bytes; %d reflog entries expired%n",
                    r.chunksKept(), r.chunksDropped(), r.bytesBefore(), r.bytesAfter(), r.reflogEntriesExpired());
        }
    }
}
