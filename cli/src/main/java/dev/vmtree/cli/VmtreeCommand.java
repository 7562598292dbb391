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
        subcommands = {CommandLine.HelpCommand.class,
            InitCommand.class, ConfigCommand.class, CreateCommand.class, RunCommand.class, StatusCommand.class,
            CommitCommand.class, CheckoutCommand.class, RollbackCommand.class,
            ShowCommand.class, DiffCommand.class, MemCommand.class, RegCommand.class,
            InstanceCommand.class, ImageCommand.class,
            BranchCommand.class, TagCommand.class, LogCommand.class, ReflogCommand.class, AuditCommand.class,
            DuCommand.class, FsckCommand.class, GcCommand.class,
            DiskCommand.class, ReplayCommand.class, BisectCommand.class, DebugCommand.class,
            ExecCommand.class, StoreCommand.class, BenchCommand.class,
            BackgroundCommands.Start.class, PsCommand.class, AttachCommand.class, BackgroundCommands.Stop.class,
            BackgroundCommands.Pause.class, BackgroundCommands.Resume.class, LogsCommand.class, DaemonCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:failure (the operation or the guest reported an error)",
            "2:usage error (unknown command, bad option or argument)",
            "3:instruction budget exhausted before the guest stopped (exec, run)",
            "4:vmtree could not do the work (no repository, damaged repository, unreadable input or unwritable"
                    + " output file, a limit refused a start, internal error)",
            "5:the instance has uncommitted state the command would drop",
            "6:the instance is held by another process (a running `vmtree run`)",
            "7:`replay --verify`: the replay did not reproduce the snapshot",
            "130:`run` stopped by SIGINT, after a clean suspend",
            "143:`run` stopped by SIGTERM, after a clean suspend"
        })
public final class VmtreeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "-C", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Run as if vmtree was started in DIR (like git -C).")
    Path directory;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print data as JSON (one document on stdout; schemas in docs/cli.md). Commands without"
                    + " JSON output (exec, run, servers) refuse it.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "Print nothing but errors and requested data.")
    boolean quiet;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Print stack traces with errors (as VMTREE_DEBUG=1 does).")
    boolean debug;

    /** The directory given with -C, or the current directory. */
    public Path workingDirectory() {
        return directory == null ? Path.of("").toAbsolutePath() : directory.toAbsolutePath();
    }

    /** A fresh command line with every subcommand registered and the project's exit-code conventions. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new VmtreeCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(new UsageErrors());
        cl.setExecutionStrategy(JsonOutput.REJECT);
        return cl;
    }

    @Override
    public void run() {
        // `vmtree` alone prints the usage, as git does.
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
