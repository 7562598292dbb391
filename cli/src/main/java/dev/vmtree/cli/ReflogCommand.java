package dev.vmtree.cli;

import dev.vmtree.dom0.Instances;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.Repository;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree reflog [-i INSTANCE] [REF]}: where a ref or an instance has been, newest first; the undo list until gc. */
@Command(name = "reflog", mixinStandardHelpOptions = true,
        description = {"Show where an instance (HEAD, the default: the current one, or -i INSTANCE) or a branch or tag"
                + " has pointed, newest first. An instance's reflog lists every commit, checkout and rollback it made,"
                + " detached ones included, so `vmtree branch NAME ID` can bring back a snapshot it left behind.",
            "Snapshots named here survive gc until their entry expires (gc.reflogExpire).",
            "--json: [{old: id|null, new: id|null, time, message}], newest first."})
public final class ReflogCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance whose reflog to show (default: the current one).")
    String instance;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF",
            description = "HEAD or @ (the instance, the default), a branch, a tag or a full ref name.")
    String ref;

    @Override
    public Integer call() {
        boolean head = ref == null || ref.equals("HEAD") || ref.equals("@");
        if (!head && instance != null) {
            throw new CliException(ExitCodes.USAGE, "-i names an instance, whose reflog is HEAD; give -i or REF, not both");
        }
        try (Toolstack ts = Dom0Cli.open(spec)) {
            String full;
            String shown;
            if (head) {
                String name;
                try {
                    name = ts.instances().resolve(instance).name();
                    ts.recover(name);
                } catch (Instances.DamagedRecordException e) {
                    name = e.damaged().name();   // a view: the reflog is still readable (and says where it stood)
                }
                full = Instances.headRef(name);
                if (full == null) {
                    throw new CliException(ExitCodes.FAILURE, "instance " + name + " keeps no reflog (its name is not a"
                            + " valid ref name)");
                }
                shown = "HEAD";
            } else {
                full = ts.refs().fullName(ref);
                shown = full.replaceFirst("^refs/(heads|tags)/", "");
            }
            List<Repository.ReflogEntry> log = ts.refs().reflog(full);
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
