package dev.vmtree.cli;

import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.Repository;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree reflog [REF]}: where a ref has been, newest first; the undo list until gc. */
@Command(name = "reflog", mixinStandardHelpOptions = true,
        description = "Show where a branch or tag has pointed, newest first (default: the current instance's"
                + " branch). Snapshots named here survive gc until their entry expires (gc.reflogExpire).")
public final class ReflogCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF", description = "A branch, tag or full ref name.")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            String full = ts.refs().fullName(ref);
            List<Repository.ReflogEntry> log = ts.refs().reflog(full);
            String shown = full.replaceFirst("^refs/(heads|tags)/", "");
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginArray();
                for (var e : log) {
                    j.beginObject().field("old", e.oldId() == null ? null : e.oldId().hex())
                            .field("new", e.newId() == null ? null : e.newId().hex())
                            .field("time", e.time().toString()).field("message", e.message()).endObject();
                }
                Dom0Cli.printJson(spec, j.endArray());
                return 0;
            }
            if (log.isEmpty() && !ts.repository().refs().containsKey(full)) {
                throw new CliException(ExitCodes.FAILURE, "no reflog for '" + (ref == null ? shown : ref) + "'");
            }
            for (int i = 0; i < log.size(); i++) {
                var e = log.get(i);
                Dom0Cli.out(spec).printf("%s %s@{%d}: %s%n", e.newId() == null ? "(deleted)   " : e.newId().shortHex(),
                        shown, i, e.message());
            }
            return 0;
        }
    }
}
