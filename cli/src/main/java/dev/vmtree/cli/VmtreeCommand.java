package dev.vmtree.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

    /**
     * Where this command line runs for: the process's own directory, environment and terminal, or
     * a client's when the daemon runs it for one ({@link ForwardedCommand}).
     */
    record Invocation(Path directory, Map<String, String> environment, boolean interactive) {}

    private final Invocation invocation;

    /** The root of a command line run by this process (-C relative to its directory). */
    public VmtreeCommand() {
        this(null);
    }

    private VmtreeCommand(Invocation invocation) {
        this.invocation = invocation;
    }

    /** The directory given with -C (relative to the invocation's directory), or that directory. */
    public Path workingDirectory() {
        Path here = invocation != null ? invocation.directory() : Path.of("").toAbsolutePath();
        return directory == null ? here : here.resolve(directory).toAbsolutePath();
    }

    /** VMTREE_DEBUG=1 in the invocation's environment (or the vmtree.debug property): stack traces with errors. */
    boolean debugFromEnvironment() {
        Map<String, String> env = invocation != null ? invocation.environment() : System.getenv();
        return "1".equals(env.get("VMTREE_DEBUG")) || Boolean.getBoolean("vmtree.debug");
    }

    /** True when the invocation's standard input and output are a terminal (progress lines, the console). */
    boolean interactive() {
        return invocation != null ? invocation.interactive() : Tty.interactive();
    }

    /** A subcommand: its name (its {@code @Command} name, checked by a test) and class. */
    record Subcommand(String name, Class<?> type) {}

    /** The subcommands in the order `vmtree --help` lists them. */
    static final List<Subcommand> SUBCOMMANDS = List.of(
            new Subcommand("help", CommandLine.HelpCommand.class),
            new Subcommand("init", InitCommand.class), new Subcommand("config", ConfigCommand.class),
            new Subcommand("create", CreateCommand.class), new Subcommand("run", RunCommand.class),
            new Subcommand("status", StatusCommand.class), new Subcommand("commit", CommitCommand.class),
            new Subcommand("checkout", CheckoutCommand.class), new Subcommand("rollback", RollbackCommand.class),
            new Subcommand("show", ShowCommand.class), new Subcommand("diff", DiffCommand.class),
            new Subcommand("mem", MemCommand.class), new Subcommand("reg", RegCommand.class),
            new Subcommand("instance", InstanceCommand.class), new Subcommand("image", ImageCommand.class),
            new Subcommand("branch", BranchCommand.class), new Subcommand("tag", TagCommand.class),
            new Subcommand("bundle", BundleCommand.class),
            new Subcommand("remote", RemoteCommands.Remote.class), new Subcommand("push", RemoteCommands.Push.class),
            new Subcommand("fetch", RemoteCommands.Fetch.class), new Subcommand("pull", RemoteCommands.Pull.class),
            new Subcommand("clone", RemoteCommands.Clone.class), new Subcommand("migrate", MigrateCommand.class),
            new Subcommand("verify", VerifyCommand.class),
            new Subcommand("log", LogCommand.class), new Subcommand("reflog", ReflogCommand.class),
            new Subcommand("audit", AuditCommand.class),
            new Subcommand("du", DuCommand.class), new Subcommand("fsck", FsckCommand.class),
            new Subcommand("gc", GcCommand.class), new Subcommand("disk", DiskCommand.class),
            new Subcommand("replay", ReplayCommand.class), new Subcommand("bisect", BisectCommand.class),
            new Subcommand("debug", DebugCommand.class), new Subcommand("exec", ExecCommand.class),
            new Subcommand("store", StoreCommand.class), new Subcommand("bench", BenchCommand.class),
            new Subcommand("start", BackgroundCommands.Start.class), new Subcommand("ps", PsCommand.class),
            new Subcommand("attach", AttachCommand.class), new Subcommand("stop", BackgroundCommands.Stop.class),
            new Subcommand("pause", BackgroundCommands.Pause.class),
            new Subcommand("resume", BackgroundCommands.Resume.class), new Subcommand("logs", LogsCommand.class),
            new Subcommand("daemon", DaemonCommand.class));

    /** A fresh command line with every subcommand registered and the project's exit-code conventions. */
    public static CommandLine commandLine() {
        return commandLine(null, SUBCOMMANDS);
    }

    /**
     * A command line for running {@code args}: only the subcommand they name is registered when that
     * is plain to see (picocli builds each command's model from its annotations by reflection, a
     * third of a short command's time when all of them are built); anything else (help, a version or
     * usage request, an unknown word, an option this scan does not know) gets the full
     * {@link #commandLine()}, so what is printed never differs.
     */
    public static CommandLine commandLine(String... args) {
        return commandLine(null, args);
    }

    /** As {@link #commandLine(String...)}, run for {@code invocation} (null: this process). */
    static CommandLine commandLine(Invocation invocation, String... args) {
        String name = subcommandNamed(args);
        for (Subcommand s : SUBCOMMANDS) {
            if (s.name().equals(name) && !name.equals("help")) {
                return commandLine(invocation, List.of(s));
            }
        }
        return commandLine(invocation, SUBCOMMANDS);
    }

    /** The first word of {@code args} after the root's own options, or null when unsure. */
    static String subcommandNamed(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-C" -> {
                    if (++i == args.length) {
                        return null;
                    }
                }
                case "--json", "-q", "--quiet", "--debug" -> {
                    // root flags: the subcommand comes later
                }
                default -> {
                    return a.startsWith("-") ? null : a;
                }
            }
        }
        return null;
    }

    private static CommandLine commandLine(Invocation invocation, List<Subcommand> subcommands) {
        CommandLine cl = new CommandLine(new VmtreeCommand(invocation));
        for (Subcommand s : subcommands) {
            cl.addSubcommand(s.name(), s.type());
        }
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
