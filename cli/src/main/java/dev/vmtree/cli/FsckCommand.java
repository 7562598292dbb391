package dev.vmtree.cli;

import dev.vmtree.store.FsckReport;
import dev.vmtree.store.Repository;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vmtree fsck}: verifies the repository; exit status 1 when anything is damaged. */
@Command(name = "fsck", mixinStandardHelpOptions = true,
        description = "Verify every chunk reachable from the roots and every Git object; name each damaged object"
                + " and the snapshots that depend on it. Exit status 1 when something is damaged.")
public final class FsckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Repository repo = StoreCli.open(spec)) {
            FsckReport r = repo.fsck();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            for (FsckReport.Problem p : r.problems()) {
                err.println("damaged: " + p);
            }
            out.printf("checked %d snapshots, %d Git objects, %d chunks: %s%n", r.snapshots(), r.gitObjectsVerified(),
                    r.chunksVerified(), r.ok() ? "ok" : r.problems().size() + " damaged");
            return r.ok() ? 0 : 1;
        }
    }
}
