package dev.vmtree.cli;

import dev.vmtree.store.FsckReport;
import dev.vmtree.dom0.Instances;
import dev.vmtree.dom0.Toolstack;
import java.util.List;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import dev.vmtree.store.WriteTransaction;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree fsck}: verifies the repository; exit status 1 when anything is damaged. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
        description = "Verify every chunk reachable from the roots and every Git object; name each damaged object"
                + " and the snapshots that depend on it; check every ref, reflog, the roots file, the locks and the"
                + " configuration, and every instance record against its gc root. Exit status 1 when something is"
                + " damaged (gc refuses to run until it is fixed). In a lazy clone (`clone --lazy`) the chunks absent"
                + " here that its remote promises are counted apart, on one line, and are not damage: asking no"
                + " remote, fsck cannot tell one the remote lost too (`fetch --all-chunks` would).")
public final class FsckCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "--rebuild-roots",
            description = "First rewrite .vmtree/roots from the instance records (after it was lost or damaged, or an"
                    + " instance's gc root is missing); a damaged file is kept as roots.damaged. Then verify.")
    boolean rebuildRoots;

    @Override
    public Integer call() {
        StoreCli.open(spec).close(); // the store's own "not a repository" / damaged-format errors first
        try (Toolstack ts = Dom0Cli.open(spec)) {
            if (rebuildRoots) {
                List<String> unreadable;
                try (WriteTransaction tx = ts.beginWrite()) {
                    unreadable = ts.instances().rebuildRoots(tx);
                }
                unreadable.forEach(m -> spec.commandLine().getErr().println("warning: not registered: " + m));
                if (!Dom0Cli.json(spec)) {
                    Dom0Cli.say(spec, "rebuilt " + ts.repository().storeDirectory().resolve("roots") + " from "
                            + (ts.instances().names().size() - unreadable.size()) + " instance records");
                }
            }
            FsckReport r = ts.repository().fsck();
            List<Instances.Problem> records = new java.util.ArrayList<>(ts.instances().verify());
            records.addAll(ts.instances().verifyLockFiles());
            List<String> config = ts.settings().verify();
            boolean ok = r.ok() && config.isEmpty() && records.stream().allMatch(Instances.Problem::harmless);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("ok", r.ok()).field("snapshots", r.snapshots())
                        .field("gitObjects", r.gitObjectsVerified()).field("chunks", r.chunksVerified())
                        .field("promised", r.promised())
                        .field("promisor", ts.repository().promisor() == null ? null : ts.repository().promisor().name())
                        .name("problems").beginArray();
                for (FsckReport.Problem p : r.problems()) {
                    j.beginObject().field("object", p.object()).field("reason", p.reason()).name("dependents").beginArray();
                    p.dependents().forEach(j::value);
                    j.endArray().endObject();
                }
                j.endArray().name("instances").beginArray();
                records.forEach(p -> j.beginObject().field("problem", p.text()).field("harmless", p.harmless()).endObject());
                j.endArray().name("configuration").beginArray();
                config.forEach(j::value);
                Dom0Cli.printJson(spec, j.endArray().field("allOk", ok).endObject());
                return ok ? 0 : 1;
            }
            for (FsckReport.Problem p : r.problems()) {
                err.println("damaged: " + p);
            }
            for (Instances.Problem p : records) {
                err.println((p.harmless() ? "warning: " : "damaged: ") + p.text());
            }
            for (String c : config) {
                err.println("damaged: " + c);
            }
            if (r.promised() > 0) {
                out.printf("promised: %d chunks are not here; remote %s promises them (`vmtree fetch --all-chunks %s`"
                        + " brings them)%n", r.promised(), ts.repository().promisor().name(), ts.repository().promisor().name());
            }
            long bad = r.problems().size() + config.size() + records.stream().filter(p -> !p.harmless()).count();
            out.printf("checked %d snapshots, %d Git objects, %d chunks, %d instances: %s%n", r.snapshots(),
                    r.gitObjectsVerified(), r.chunksVerified(), ts.instances().names().size(), ok ? "ok" : bad + " damaged");
            return ok ? 0 : 1;
        }
    }
}
