package dev.vmtree.cli;

import dev.vmtree.store.FsckReport;
import dev.vmtree.dom0.Instances;
import dev.vmtree.dom0.Toolstack;
import java.util.List;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vmtree fsck}: verifies the repository; exit status 1 when anything is damaged. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
        description = "Verify every chunk reachable from the roots and every Git object; name each damaged object"
                + " and the snapshots that depend on it; check every instance record against its gc root."
                + " Exit status 1 when something is damaged.")
public final class FsckCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        StoreCli.open(spec).close(); // the store's own "not a repository" / damaged-format errors first
        try (Toolstack ts = Dom0Cli.open(spec)) {
            FsckReport r = ts.repository().fsck();
            List<Instances.Problem> records = ts.instances().verify();
            boolean ok = r.ok() && records.stream().allMatch(Instances.Problem::harmless);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("ok", r.ok()).field("snapshots", r.snapshots())
                        .field("gitObjects", r.gitObjectsVerified()).field("chunks", r.chunksVerified())
                        .name("problems").beginArray();
                for (FsckReport.Problem p : r.problems()) {
                    j.beginObject().field("object", p.object()).field("reason", p.reason()).name("dependents").beginArray();
                    p.dependents().forEach(j::value);
                    j.endArray().endObject();
                }
                j.endArray().name("instances").beginArray();
                records.forEach(p -> j.beginObject().field("problem", p.text()).field("harmless", p.harmless()).endObject());
                Dom0Cli.printJson(spec, j.endArray().field("allOk", ok).endObject());
                return ok ? 0 : 1;
            }
            for (FsckReport.Problem p : r.problems()) {
                err.println("damaged: " + p);
            }
            for (Instances.Problem p : records) {
                err.println((p.harmless() ? "warning: " : "damaged: ") + p.text());
            }
            long bad = r.problems().size() + records.stream().filter(p -> !p.harmless()).count();
            out.printf("checked %d snapshots, %d Git objects, %d chunks, %d instances: %s%n", r.snapshots(),
                    r.gitObjectsVerified(), r.chunksVerified(), ts.instances().names().size(), ok ? "ok" : bad + " damaged");
            return ok ? 0 : 1;
        }
    }
}
