package dev.vmtree.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which command lines the short-command client ({@link Launcher}) hands to a running Dom0 daemon
 * (docs/cli.md, "Short commands and the daemon"): read-only ones that print about the repository
 * and take no file names, so running them in the daemon's process gives what running them here
 * would. Everything else (any write, help and version, a form this check does not know, more than
 * one -C) runs in the client's own JVM as before. {@link ForwardedCommand#forwardable} is this
 * check; it is plain java.base because the client must decide without loading picocli.
 */
final class Forwardable {
    private Forwardable() {}

    /** What one command accepts: flags, options taking a value, and how many positional words. */
    private record Rule(Set<String> flags, Set<String> valued, int positionals) {}

    private static final int ANY = Integer.MAX_VALUE;

    /** By command ("instance list" is two words); the global options (-C, --json, -q, --debug) come on top. */
    private static final Map<String, Rule> RULES = Map.ofEntries(
            Map.entry("status", new Rule(Set.of(), Set.of("-i"), 0)),
            Map.entry("branch", new Rule(Set.of(), Set.of(), 0)),       // listing only
            Map.entry("log", new Rule(Set.of("--graph", "--all", "--oneline"), Set.of("-n", "--max-count"), ANY)),
            Map.entry("tag", new Rule(Set.of("-l", "--list"), Set.of(), 0)), // listing only
            Map.entry("reflog", new Rule(Set.of(), Set.of("-i"), 1)),
            Map.entry("show", new Rule(Set.of(), Set.of("-i"), 1)),
            Map.entry("diff", new Rule(Set.of("--stat"), Set.of("-i"), 2)),
            Map.entry("du", new Rule(Set.of("-b", "--bytes"), Set.of(), 0)),
            Map.entry("instance", new Rule(Set.of(), Set.of(), 0)),      // `instance` alone lists
            Map.entry("instance list", new Rule(Set.of(), Set.of(), 0)),
            Map.entry("ps", new Rule(Set.of("-a", "--all"), Set.of(), 0)),
            Map.entry("audit", new Rule(Set.of(), Set.of("-n", "-i"), 0)));

    private static final Set<String> GLOBAL_FLAGS = Set.of("--json", "-q", "--quiet", "--debug");

    /** True when {@code argv} (without the program name) may run in the daemon. */
    static boolean forwardable(List<String> argv) {
        String command = null;
        Rule rule = null;
        int positionals = 0;
        int directories = 0;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-C")) {
                if (++i == argv.size() || ++directories > 1) {
                    return false;
                }
                continue;
            }
            if (a.startsWith("-C=")) {
                if (++directories > 1) {
                    return false;
                }
                continue;
            }
            if (GLOBAL_FLAGS.contains(a)) {
                continue;
            }
            if (command == null) {
                if (a.startsWith("-") || !RULES.containsKey(a)) {
                    return false;
                }
                command = a;
                rule = RULES.get(a);
                continue;
            }
            if (command.equals("instance") && positionals == 0 && a.equals("list")) {
                command = "instance list";
                rule = RULES.get(command);
                continue;
            }
            if (a.startsWith("-")) {
                if (rule.flags().contains(a)) {
                    continue;
                }
                if (rule.valued().contains(a)) {
                    if (++i == argv.size()) {
                        return false;
                    }
                    continue;
                }
                int eq = a.indexOf('=');
                if (eq > 0 && a.startsWith("--") && rule.valued().contains(a.substring(0, eq))) {
                    continue;
                }
                return false;   // "--", help, version, a write option, or a spelling this check does not know
            }
            if (++positionals > rule.positionals()) {
                return false;
            }
        }
        return command != null;
    }

    /**
     * The environment variables that decide what a forwarded command reads (the global
     * configuration's place, the installation, the engine): the daemon serves a client only when it
     * sees the same values. VMTREE_DEBUG is not among them: it is applied per command.
     */
    static final List<String> CONTEXT = List.of("VMTREE_CONFIG_HOME", "XDG_CONFIG_HOME", "HOME", "VMTREE_HOME",
            "VMTREE_ENGINE");

    /** The variables a client sends: {@link #CONTEXT} and VMTREE_DEBUG. */
    static final List<String> SENT = List.of("VMTREE_DEBUG", "VMTREE_CONFIG_HOME", "XDG_CONFIG_HOME", "HOME",
            "VMTREE_HOME", "VMTREE_ENGINE");

    private static volatile String build;

    /**
     * Which vmtree this JVM runs: where its classes come from (the jar, or the classes directory)
     * with that file's modification time and size, so a daemon started before a rebuild does not
     * answer for the new build. (Not version.properties: reading a resource costs the client a
     * few milliseconds of URL handling, and a rebuild of a dirty tree keeps its commit.)
     */
    static String build() {
        String b = build;
        if (b == null) {
            b = "?";
            try {
                var src = Forwardable.class.getProtectionDomain().getCodeSource();
                if (src != null) {
                    java.nio.file.Path where = java.nio.file.Path.of(src.getLocation().toURI());
                    var a = java.nio.file.Files.readAttributes(where, java.nio.file.attribute.BasicFileAttributes.class);
                    b = new StringBuilder(where.toString()).append('@').append(a.lastModifiedTime().toMillis())
                            .append('/').append(a.size()).toString();
                }
            } catch (java.io.IOException | java.net.URISyntaxException | RuntimeException e) {
                // unknown origin: "?" matches only another "?"
            }
            build = b;
        }
        return b;
    }

    /** The -C directory of {@code argv}, or null when there is none. */
    static String directory(List<String> argv) {
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-C") && i + 1 < argv.size()) {
                return argv.get(i + 1);
            }
            if (a.startsWith("-C=")) {
                return a.substring(3);
            }
            if (a.equals("-i") || a.equals("-n") || a.equals("--max-count")) {
                i++;    // a value, not an option: `-i -C` names an instance "-C"
            }
        }
        return null;
    }
}
