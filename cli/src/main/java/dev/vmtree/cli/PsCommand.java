package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Client;
import dev.vmtree.dom0.service.Dom0Paths;
import dev.vmtree.dom0.service.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree ps}: the instances that run, in the background or in the foreground, and with -a all of them. */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = {"List running instances: background ones (Dom0's: `vmtree start`) and foreground ones"
                + " (`vmtree run`, `vmtree disk serve`), with a state word, their branch and base snapshot, the"
                + " process that runs them, speed (MIPS over the last second), guest uptime (virtual time run in this"
                + " life), host uptime and guest RAM.",
            "State words: running, paused, stopped (suspended to its working state, or never run), crashed (its last"
                + " background run ended with a guest failure, a stuck hart or an error; its state was saved as far"
                + " as it could be: see `vmtree logs` and `vmtree audit`).",
            "--json: [{name, state, branch|null, base, pid|null, foreground, engine|null, mips|null,"
                + " instructions|null, guestUptimeSeconds|null, hostUptimeSeconds|null, memoryBytes|null,"
                + " activity|null}] (docs/cli.md)."},
        footer = {"", "Examples:", "  vmtree ps", "  vmtree ps -a --json"})
public final class PsCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = {"-a", "--all"}, description = "Include instances that do not run.")
    boolean all;

    /** What Dom0's entry for a background run measures, in the order `--json` prints it. */
    private static final List<String> MEASURED = List.of("engine", "mips", "instructions", "guestUptimeSeconds",
            "hostUptimeSeconds", "memoryBytes");

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Map<String, Map<String, Object>> background = new LinkedHashMap<>();
            Optional<Dom0Client> daemon = Background.connect(ts);
            if (daemon.isPresent()) {
                try (Dom0Client c = daemon.get()) {
                    for (Object o : (List<?>) c.call(Json.object("op", "ps")).get("instances")) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> m = (Map<String, Object>) o;
                        background.put((String) m.get("name"), m);
                    }
                }
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            var listing = ts.instances().scan();
            Dom0Cli.warnDamaged(spec, listing.damaged());
            Dom0Paths paths = Dom0Paths.of(Background.top(ts));
            for (InstanceRecord r : listing.sound()) {
                Map<String, Object> b = background.get(r.name());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", r.name());
                if (b != null) {
                    row.put("state", b.get("state"));
                    row.put("branch", b.get("branch"));
                    row.put("base", b.get("base"));
                    row.put("pid", b.get("pid"));
                    row.put("foreground", false);
                    for (String k : MEASURED) {
                        row.put(k, b.get(k));
                    }
                    row.put("activity", "background");
                } else {
                    InstanceLock.Holder.Running held = ts.instances().holder(r.name())
                            instanceof InstanceLock.Holder.Running running ? running : null;
                    if (held == null && !all) {
                        continue;
                    }
                    row.put("state", held != null ? "running" : crashed(paths, r.name()) ? "crashed" : "stopped");
                    row.put("branch", r.branch());
                    row.put("base", r.base().hex());
                    row.put("pid", held != null ? held.pid() : null);
                    row.put("foreground", held != null);
                    for (String k : MEASURED) {
                        row.put(k, null);       // only Dom0 measures the runs it supervises
                    }
                    row.put("activity", held != null ? held.activity() : null);
                }
                rows.add(row);
            }
            if (Dom0Cli.json(spec)) {
                Dom0Cli.out(spec).println(Json.write(rows));
            } else {
                table(Dom0Cli.out(spec), rows);
            }
            return ExitCodes.OK;
        }
    }

    /** Whether the instance's last background run ended badly (docs/dom0-protocol.md, "exits"). */
    static boolean crashed(Dom0Paths paths, String name) {
        try {
            String text = Files.readString(paths.exit(name)).trim();
            return Boolean.TRUE.equals(Json.parseObject(text).get("crashed"));
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private static void table(PrintWriter out, List<Map<String, Object>> rows) {
        String fmt = "%-12s %-8s %-12s %-12s %7s %8s %10s %10s %6s%n";
        out.printf(fmt, "NAME", "STATE", "BRANCH", "BASE", "PID", "MIPS", "GUEST-UP", "HOST-UP", "RAM");
        for (Map<String, Object> r : rows) {
            boolean fg = Boolean.TRUE.equals(r.get("foreground"));
            out.printf(fmt, r.get("name"), r.get("state"), r.get("branch") == null ? "(detached)" : r.get("branch"),
                    ((String) r.get("base")).substring(0, 12), r.get("pid") == null ? "-" : r.get("pid"),
                    r.get("mips") == null ? (fg ? "fg" : "-") : String.format("%.1f", ((Number) r.get("mips")).doubleValue()),
                    seconds(r.get("guestUptimeSeconds")), seconds(r.get("hostUptimeSeconds")),
                    r.get("memoryBytes") == null ? "-" : dev.vmtree.dom0.Sizes.format((Long) r.get("memoryBytes")));
        }
    }

    private static String seconds(Object s) {
        if (s == null) {
            return "-";
        }
        long t = Math.round(((Number) s).doubleValue());
        return t < 60 ? t + "s" : t < 3600 ? t / 60 + "m" + t % 60 + "s" : t / 3600 + "h" + t / 60 % 60 + "m";
    }
}
