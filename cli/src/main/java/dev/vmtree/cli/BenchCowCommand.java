package dev.vmtree.cli;

import dev.vmtree.cow.bench.CowBench;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree bench cow}: the cow-disk benchmark ({@link CowBench}); figures go to docs/performance.md. */
@Command(name = "cow", mixinStandardHelpOptions = true,
        description = "Benchmark cow-disk: freeze of a 4 GiB image, write after freeze, raw import beside qemu-img convert, lazy sequential read beside qemu-img bench.")
public final class BenchCowCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "MIB", defaultValue = "1024", description = "Raw image size in MiB for import and read. Default: ${DEFAULT-VALUE}.")
    int sizeMiB;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Runs per figure; medians are printed. Default: ${DEFAULT-VALUE}.")
    int runs;

    @Option(names = "--dir", paramLabel = "DIR", description = "Scratch directory (default: a temporary directory, removed after).")
    Path scratch;

    @Override
    public void run() {
        try {
            CowBench.run(spec.commandLine().getOut(), new CowBench.Options(sizeMiB, runs, scratch));
        } catch (IOException e) {
            throw new CliException(4, "bench cow failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(4, "bench cow interrupted", e);
        }
    }
}
