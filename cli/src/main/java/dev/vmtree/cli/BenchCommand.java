package dev.vmtree.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench}: the benchmarks whose figures docs/performance.md quotes. Each subcommand
 * measures vmtree and, where one exists on the machine, a peer tool in the same run.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Run a benchmark and print medians beside a peer tool measured in the same run.",
        subcommands = {BenchStoreCommand.class, BenchCowCommand.class, BenchCoreCommand.class, BenchDom0Command.class,
            BenchLinuxCommand.class, BenchRemoteCommand.class, BenchS3Command.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
