package dev.vmtree.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Usage errors as git prints them: one line saying what is wrong ({@code vmtree: ...}) and one usage
 * line, never the whole help. An unknown command gets a hint chosen for the git or virsh user who
 * typed it ({@code reset}, {@code switch}, {@code start}, ...) or, for a typo, the command it is
 * closest to; picocli's list of nearest spellings ("reg or store or bisect") helps nobody.
 */
final class UsageErrors implements IParameterExceptionHandler {

    /** What a git or virsh user means by a word that is not a vmtree command. */
    static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("reset", "to go back, `vmtree rollback [REF]` moves the instance and its branch, and"
                    + " `vmtree checkout --discard REF` the instance only"),
            Map.entry("restore", "to go back, `vmtree rollback [REF]` moves the instance and its branch, and"
                    + " `vmtree checkout --discard REF` the instance only"),
            Map.entry("revert", "`vmtree rollback [REF]` moves the instance and its branch back"),
            Map.entry("switch", "`vmtree checkout REF` switches the instance (`checkout -b NAME` to a new branch)"),
            Map.entry("list", "`vmtree instance list` lists instances; `vmtree branch` and `vmtree tag` list refs"),
            Map.entry("ls", "`vmtree instance list` lists instances; `vmtree disk ls` lists disks"),
            Map.entry("shutdown", "`vmtree stop [-i INSTANCE]` suspends a background instance; a `vmtree run` stops"
                    + " with Ctrl-] (detach) or SIGTERM"),
            Map.entry("suspend", "`vmtree stop [-i INSTANCE]` suspends a background instance; `vmtree pause` freezes it"
                    + " in place"),
            Map.entry("console", "`vmtree attach [-i INSTANCE]` connects to a background instance's console"),
            Map.entry("destroy", "`vmtree stop` ends a background run, a `vmtree run` stops with Ctrl-] (detach) or"
                    + " SIGTERM; `vmtree instance remove`"
                    + " removes an instance"),
            Map.entry("define", "`vmtree create NAME --kernel FILE` defines a machine"),
            Map.entry("undefine", "`vmtree instance remove NAME` removes an instance"),
            Map.entry("clone", "`vmtree create NAME --from REF` or `vmtree instance add NAME REF` starts another"
                    + " instance from a snapshot"),
            Map.entry("add", "`vmtree instance add NAME REF` adds an instance"),
            Map.entry("rm", "`vmtree instance remove NAME` removes an instance"),
            Map.entry("remove", "`vmtree instance remove NAME` removes an instance"),
            Map.entry("snapshot", "`vmtree commit -m MSG` snapshots the instance"),
            Map.entry("save", "`vmtree commit -m MSG` snapshots the instance"));

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String word = unknownCommand(ex);
        String message = word != null ? unknownCommandMessage(cmd, word) : lowerFirst(ex.getMessage());
        cmd.getErr().println("vmtree: " + message);
        cmd.getErr().println(usageLine(cmd));
        cmd.getErr().flush();
        return ExitCodes.USAGE;
    }

    /** The word given where a subcommand was due, or null when the error is something else. */
    private static String unknownCommand(ParameterException ex) {
        if (!(ex instanceof UnmatchedArgumentException u) || ex.getCommandLine().getSubcommands().isEmpty()
                || u.getUnmatched().isEmpty()) {
            return null;
        }
        String first = u.getUnmatched().getFirst();
        return first.startsWith("-") ? null : first;
    }

    static String unknownCommandMessage(CommandLine cmd, String word) {
        String parent = cmd.getCommandSpec().qualifiedName();
        String message = "'" + word + "' is not a" + (cmd.getParent() == null ? " vmtree" : " `" + parent + "`")
                + " command";
        String hint = cmd.getParent() == null ? HINTS.get(word.toLowerCase(Locale.ROOT)) : null;
        if (hint != null) {
            return message + "; " + hint;
        }
        String near = nearest(cmd, word);
        return message + (near != null ? "; did you mean `" + parent + " " + near + "`?"
                : "; see `" + (cmd.getParent() == null ? "vmtree help" : parent + " --help") + "`");
    }

    /** The subcommand within two edits of {@code word} (a typo), if exactly one is closest. */
    private static String nearest(CommandLine cmd, String word) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        boolean tie = false;
        for (String name : cmd.getSubcommands().keySet()) {
            int d = distance(word.toLowerCase(Locale.ROOT), name);
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
                tie = false;
            } else if (d == bestDistance) {
                tie = true;
            }
        }
        return best != null && !tie && bestDistance <= 2 && bestDistance < word.length() / 2 + 1 ? best : null;
    }

    /** Levenshtein distance, with a swap of two neighbours counting as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** One line: the command's short synopsis ("vmtree create [OPTIONS] NAME") and where the full help is. */
    static String usageLine(CommandLine cmd) {
        var spec = cmd.getCommandSpec();
        StringBuilder synopsis = new StringBuilder(spec.qualifiedName());
        if (!spec.options().isEmpty()) {
            synopsis.append(" [OPTIONS]");
        }
        for (var p : spec.positionalParameters()) {
            if (!p.hidden()) {
                String label = p.paramLabel() + (p.arity().max() > 1 && !p.paramLabel().contains(" ") ? "..." : "");
                synopsis.append(' ').append(p.arity().min() == 0 ? "[" + label + "]" : label);
            }
        }
        if (!cmd.getSubcommands().isEmpty()) {
            synopsis.append(" [COMMAND]");
        }
        String help = cmd.getParent() == null ? "vmtree help" : cmd.getCommandSpec().qualifiedName() + " --help";
        return "usage: " + synopsis + " (see `" + help + "`)";
    }

    private static String lowerFirst(String s) {
        if (s == null || s.isEmpty()) {
            return "bad command line";
        }
        // picocli's sentences start with a capital ("Unknown option: ..."); vmtree's messages do not
        return s.length() > 1 && Character.isUpperCase(s.charAt(0)) && !Character.isUpperCase(s.charAt(1))
                ? Character.toLowerCase(s.charAt(0)) + s.substring(1) : s;
    }
}
