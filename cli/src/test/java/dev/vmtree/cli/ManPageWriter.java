package dev.vmtree.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Man pages in troff ({@code man(7)} macros only, so man-db, mandoc and groff all render them), one
 * per command, written from the picocli command model: NAME, SYNOPSIS, DESCRIPTION, ARGUMENTS,
 * OPTIONS, COMMANDS, EXAMPLES (from the help footer, never refilled, so a command is never wrapped),
 * EXIT STATUS and SEE ALSO. The pages go to {@code docs/man/man1/} (see {@link GeneratedDocsTest}).
 */
final class ManPageWriter {
    private ManPageWriter() {}

    /** Every page of the tree under {@code root}, by file name ("vmtree-instance-add.1"), in tree order. */
    static Map<String, String> pages(CommandLine root) {
        Map<String, String> out = new LinkedHashMap<>();
        walk(root, out, new IdentityHashMap<>());
        return out;
    }

    private static void walk(CommandLine cl, Map<String, String> out, Map<CommandLine, Boolean> seen) {
        if (seen.put(cl, true) != null || cl.getCommand() instanceof CommandLine.HelpCommand) {
            return;
        }
        out.put(fileName(cl.getCommandSpec()) + ".1", page(cl.getCommandSpec()));
        for (CommandLine sub : subcommands(cl.getCommandSpec())) {
            walk(sub, out, seen);
        }
    }

    static String fileName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** Subcommands without their aliases and without picocli's help command, in declaration order. */
    private static List<CommandLine> subcommands(CommandSpec spec) {
        List<CommandLine> subs = new ArrayList<>();
        for (var e : spec.subcommands().entrySet()) {
            CommandLine sub = e.getValue();
            if (e.getKey().equals(sub.getCommandName()) && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                subs.add(sub);
            }
        }
        return subs;
    }

    static String page(CommandSpec spec) {
        StringBuilder t = new StringBuilder();
        String title = fileName(spec).toUpperCase(Locale.ROOT);
        t.append(".\\\" Generated from the vmtree command classes by ManPageWriter; do not edit.\n");
        t.append(".TH ").append(title.replace("-", "\\-")).append(" 1 \"\" \"vmtree\" \"vmtree manual\"\n");
        t.append(".nh\n.ad l\n");
        List<String> description = paragraphs(spec.usageMessage().description());
        t.append(".SH NAME\n").append(escape(fileName(spec))).append(" \\- ")
                .append(escape(firstSentence(description.isEmpty() ? "" : description.getFirst()))).append('\n');

        t.append(".SH SYNOPSIS\n").append(".B ").append(escape(spec.qualifiedName())).append('\n');
        for (OptionSpec o : options(spec)) {
            t.append(o.required() ? "" : "[").append(optionTerm(o, "|")).append(o.required() ? "" : "]").append('\n');
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                t.append(paramTerm(p)).append('\n');
            }
        }
        if (!subcommands(spec).isEmpty()) {
            t.append("[\\fICOMMAND\\fR]\n");
        }

        if (!description.isEmpty()) {
            t.append(".SH DESCRIPTION\n");
            for (int i = 0; i < description.size(); i++) {
                t.append(i == 0 ? "" : ".PP\n").append(escape(description.get(i))).append('\n');
            }
        }
        List<PositionalParamSpec> params = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!params.isEmpty()) {
            t.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : params) {
                t.append(".TP\n").append(paramTerm(p)).append('\n').append(escape(text(p.description()))).append('\n');
            }
        }
        t.append(".SH OPTIONS\n");
        for (OptionSpec o : options(spec)) {
            String d = text(o.description());
            if (o.defaultValue() != null) {
                d = d.replace("${DEFAULT-VALUE}", o.defaultValue());
            }
            t.append(".TP\n").append(optionTerm(o, ", ")).append('\n').append(escape(d)).append('\n');
        }
        List<CommandLine> subs = subcommands(spec);
        if (!subs.isEmpty()) {
            t.append(".SH COMMANDS\n");
            for (CommandLine sub : subs) {
                List<String> d = paragraphs(sub.getCommandSpec().usageMessage().description());
                t.append(".TP\n\\fB").append(escape(sub.getCommandName())).append("\\fR\n")
                        .append(escape(firstSentence(d.isEmpty() ? "" : d.getFirst()))).append(". See \\fB")
                        .append(escape(fileName(sub.getCommandSpec()))).append("\\fR(1).\n");
            }
        }
        footer(spec.usageMessage().footer(), t);
        Map<String, String> exits = spec.usageMessage().exitCodeList();
        if (!exits.isEmpty()) {
            t.append(".SH EXIT STATUS\n");
            exits.forEach((code, meaning) -> t.append(".TP\n").append(escape(code.strip())).append('\n')
                    .append(escape(meaning.replace("%%", "%"))).append('\n'));
        }
        List<String> also = new ArrayList<>();
        if (spec.parent() != null) {
            also.add(fileName(spec.parent()));
        }
        subs.forEach(s -> also.add(fileName(s.getCommandSpec())));
        if (spec.parent() != null && spec.parent().parent() != null) {
            also.add("vmtree");
        }
        if (!also.isEmpty()) {
            t.append(".SH SEE ALSO\n");
            for (int i = 0; i < also.size(); i++) {
                t.append(".BR ").append(escape(also.get(i))).append(" (1)").append(i < also.size() - 1 ? "," : "")
                        .append('\n');
            }
        }
        return t.toString();
    }

    /** The footer: lines after "Examples:" are commands, set as they are (no fill), other lines paragraphs. */
    private static void footer(String[] footer, StringBuilder t) {
        boolean examples = false;
        List<String> prose = new ArrayList<>();
        for (String line : footer) {
            if (line.strip().equals("Examples:")) {
                examples = true;
                t.append(".SH EXAMPLES\n.RS 4\n.nf\n");
                continue;
            }
            if (examples) {
                t.append(escape(line.startsWith("  ") ? line.substring(2) : line)).append('\n');
            } else if (!line.isBlank()) {
                prose.add(line);
            }
        }
        if (examples) {
            t.append(".fi\n.RE\n");
        }
        if (!prose.isEmpty()) {
            t.append(".SH NOTES\n").append(escape(String.join(" ", prose))).append('\n');
        }
    }

    private static List<OptionSpec> options(CommandSpec spec) {
        return spec.options().stream().filter(o -> !o.hidden())
                .sorted(Comparator.comparing((OptionSpec o) -> o.longestName().replaceFirst("^-+", "").toLowerCase(Locale.ROOT))
                        .thenComparing(OptionSpec::longestName))
                .toList();
    }

    private static String optionTerm(OptionSpec o, String between) {
        StringBuilder s = new StringBuilder();
        String[] names = o.names().clone();
        java.util.Arrays.sort(names, Comparator.comparingInt(String::length));
        for (int i = 0; i < names.length; i++) {
            s.append(i == 0 ? "" : between).append("\\fB").append(escape(names[i])).append("\\fR");
        }
        if (o.arity().max() > 0) {
            for (int i = 0; i < Math.max(1, o.arity().min()); i++) {
                s.append(' ').append("\\fI").append(escape(o.paramLabel())).append("\\fR");
            }
        }
        return s.toString();
    }

    private static String paramTerm(PositionalParamSpec p) {
        String label = "\\fI" + escape(p.paramLabel()) + "\\fR" + (p.arity().max() > 1 ? "..." : "");
        return p.arity().min() == 0 ? "[" + label + "]" : label;
    }

    /** Description lines as paragraphs ("%n" breaks a line, as picocli renders it). */
    private static List<String> paragraphs(String[] lines) {
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            for (String part : l.split("%n")) {
                if (!part.isBlank()) {
                    out.add(part.strip().replace("%%", "%"));   // picocli's format escape
                }
            }
        }
        return out;
    }

    private static String text(String[] lines) {
        return String.join(" ", paragraphs(lines));
    }

    /** The summary a NAME line wants: the description up to its first full stop or colon outside parentheses. */
    private static String firstSentence(String s) {
        int end = -1;
        int depth = 0;
        for (int i = 0; i + 1 < s.length() && end < 0; i++) {
            char c = s.charAt(i);
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth == 0 && (c == '.' || c == ':') && s.charAt(i + 1) == ' ') {
                end = i;
            }
        }
        String first = end < 0 ? s : s.substring(0, end);
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    /**
     * Text as troff input: backslashes and minus signs escaped, `code` set in bold, and a line that
     * would start with a control character ('.' or ''') made text.
     */
    static String escape(String s) {
        String e = s.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder out = new StringBuilder();
        boolean bold = false;
        for (int i = 0; i < e.length(); i++) {
            char c = e.charAt(i);
            if (c == '`') {
                out.append(bold ? "\\fR" : "\\fB");
                bold = !bold;
            } else {
                out.append(c);
            }
        }
        if (bold) {
            out.append("\\fR");
        }
        String r = out.toString();
        StringBuilder lines = new StringBuilder();
        for (String line : r.split("\n", -1)) {
            if (!lines.isEmpty()) {
                lines.append('\n');
            }
            lines.append(line.startsWith(".") || line.startsWith("'") ? "\\&" + line : line);
        }
        return lines.toString();
    }
}
