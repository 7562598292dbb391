package dev.vmtree.cli;

import dev.vmtree.store.Repository;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree init [DIR]}: creates an empty repository (a .vmtree directory). */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create an empty vmtree repository (DIR/.vmtree) in DIR or the current directory.")
public final class InitCommand implements Runnable, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR", description = "Where to create .vmtree (default: current directory).")
    Path dir;

    @Override
    public void run() {
        Path base = StoreCli.workingDirectory(spec);
        Path top = dir == null ? base : base.resolve(dir);
        try (Repository repo = Repository.init(top)) {
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject()
                        .field("directory", repo.storeDirectory().toAbsolutePath().toString()).endObject());
            } else {
                Dom0Cli.say(spec, "Initialized empty vmtree repository in " + repo.storeDirectory());
            }
        }
    }
}
