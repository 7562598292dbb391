package dev.vmtree.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The root command. Subcommands are thin: parse, call the toolstack or a lower layer, print
 * through the spec's writers (never System.out), so tests run the real command in-process.
 */
@Command(
        name = "vmtree",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Git for whole virtual machines: run RISC-V guests on an embedded hypervisor core and keep"
                + " every moment of their lives as snapshots you can branch, check out, roll back, diff and replay.",
        subcommands = {CommandLine.HelpCommand.class, BenchCommand.class, ExecCommand.class,
            InitCommand.class, FsckCommand.class, GcCommand.class, StoreCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:failure (the operation or the guest reported an error)",
            "2:usage error (unknown command, bad option or argument)",
            "4:vmtree could not do the work (unreadable input, damaged repository, ...)"
        })
public final class VmtreeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "-C", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Run as if vmtree was started in DIR (like git -C).")
    Path directory;

    /** The directory given with -C, or the current directory. */
    public Path workingDirectory() {
        return directory == null ? Path.of("").toAbsolutePath() : directory.toAbsolutePath();
    }

    /** A fresh command line with every subcommand registered and the project's exit-code conventions. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new VmtreeCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        return cl;
    }

    @Override
    public void run() {
        // `vmtree` alone prints the usage, as git does.
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
