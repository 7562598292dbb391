package dev.vmtree.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionStrategy;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Marks a command that prints its result as one JSON document with {@code --json}, in every form it
 * takes (schemas in docs/cli.md "JSON output"). {@code --json} is a global option, so every command
 * accepts it; {@link #REJECT} refuses it, before anything runs, for a command without this mark,
 * rather than let the flag be silently ignored.
 */
interface JsonOutput {

    /** Why some commands have no JSON output, by qualified name (the others: they print no data). */
    Map<String, String> WHY_NOT = Map.of(
            "vmtree exec", "its standard output is the guest console",
            "vmtree run", "its standard output is the guest console",
            "vmtree debug", "it serves the gdb protocol until the debugger leaves",
            "vmtree disk serve", "it serves NBD until stopped",
            "vmtree store cat", "it writes an image file",
            "vmtree bench", "it prints a report for people",
            "vmtree attach", "its standard output is the guest console",
            "vmtree logs", "it prints the guest console's history",
            "vmtree daemon", "it serves the control protocol until nothing runs");

    /** Runs the parsed command, unless --json was given to one that cannot honour it (a usage error). */
    IExecutionStrategy REJECT = parseResult -> {
        ParseResult leaf = parseResult;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        Object command = leaf.commandSpec().userObject();
        boolean json = parseResult.commandSpec().userObject() instanceof VmtreeCommand root && root.json;
        boolean help = leaf.isUsageHelpRequested() || leaf.isVersionHelpRequested()
                || command instanceof CommandLine.HelpCommand;
        if (json && !help && !(command instanceof JsonOutput)) {
            String name = leaf.commandSpec().qualifiedName();
            String why = WHY_NOT.get(name);
            if (why == null && name.startsWith("vmtree bench")) {
                why = WHY_NOT.get("vmtree bench");
            }
            throw new ParameterException(leaf.commandSpec().commandLine(), "--json: `" + name + "` has no JSON output"
                    + (why == null ? "" : " (" + why + ")"));
        }
        return new CommandLine.RunLast().execute(parseResult);
    };
}
