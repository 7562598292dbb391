package dev.vmtree.cli;

import dev.vmtree.dom0.History;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.LogGraph;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.SnapshotId;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree log [--graph] [--all] [--oneline] [-n N] [REF...]}: the history of snapshots. */
@Command(name = "log", mixinStandardHelpOptions = true,
        description = {"Show snapshots reachable from REF (default HEAD, the current instance's base; every branch"
                + " and tag when there is no instance), children before parents.",
            "Decorations name the branches and tags at a snapshot, and HEAD for the current instance's base."})
public final class LogCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "--graph", description = "Draw the snapshot tree beside the log, as git log --graph does.")
    boolean graph;

    @Option(names = "--all", description = "Start from every branch, tag and instance, not just REF.")
    boolean all;

    @Option(names = "--oneline", description = "One line per snapshot: short id, decorations, first message line.")
    boolean oneline;

    @Option(names = {"-n", "--max-count"}, paramLabel = "N", description = "Show at most N snapshots.")
    int max;

    @Parameters(arity = "0..*", paramLabel = "REF", description = "Where to start (branch, tag, snapshot id, REF~N).")
    List<String> refs = new ArrayList<>();

    @Override
    public Integer call() {
        if (max < 0) {
            throw new CliException(ExitCodes.USAGE, "-n must not be negative");
        }
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Map<String, SnapshotId> allRefs = ts.repository().refs();
            LinkedHashSet<SnapshotId> starts = new LinkedHashSet<>();
            for (String r : refs) {
                starts.add(ts.resolve(r));
            }
            // A damaged current record is warned about and leaves no HEAD: the log then starts from every ref.
            SnapshotId head = Dom0Cli.currentOrWarn(spec, ts).map(InstanceRecord::base).orElse(null);
            if (all || (refs.isEmpty() && head == null)) {
                starts.addAll(allRefs.values());
                var listing = ts.instances().scan();
                listing.sound().forEach(i -> starts.add(i.base()));
                String current = ts.instances().currentName().orElse(null);
                Dom0Cli.warnDamaged(spec, listing.damaged().stream().filter(d -> !d.name().equals(current)).toList());
            } else if (refs.isEmpty()) {
                starts.add(head);
            }
            List<History.Entry> entries = ts.history().log(List.copyOf(starts), max);
            Map<SnapshotId, List<String>> decor = History.decorations(allRefs);
            if (head != null) {
                decor.computeIfAbsent(head, k -> new ArrayList<>()).addFirst("HEAD");
            }
            List<LogGraph.Row> rows = graph ? LogGraph.render(entries)
                    : entries.stream().map(e -> new LogGraph.Row("", e, "")).toList();
            if (Dom0Cli.json(spec)) {
                printJson(rows, decor);
            } else {
                print(rows, decor);
            }
            return 0;
        }
    }

    private void print(List<LogGraph.Row> rows, Map<SnapshotId, List<String>> decor) {
        PrintWriter out = Dom0Cli.out(spec);
        String sep = graph ? " " : "";
        for (int i = 0; i < rows.size(); i++) {
            LogGraph.Row row = rows.get(i);
            History.Entry e = row.entry();
            if (e == null) {
                out.println(row.graph());
                continue;
            }
            List<String> d = decor.getOrDefault(e.id(), List.of());
            String decoration = d.isEmpty() ? "" : " (" + String.join(", ", d) + ")";
            if (oneline) {
                out.println(row.graph() + sep + e.id().shortHex() + decoration + " " + e.subject());
                continue;
            }
            String cont = row.continuation() + sep;
            out.println(row.graph() + sep + "snapshot " + e.id().hex() + decoration);
            out.println(cont + "Author: " + e.author());
            out.println(cont + "Date:   " + e.time());
            out.println(cont.stripTrailing());
            for (String line : e.message().split("\n", -1)) {
                out.println((cont + "    " + line).stripTrailing());
            }
            if (i + 1 < rows.size()) {
                out.println(cont.stripTrailing());
            }
        }
    }

    private void printJson(List<LogGraph.Row> rows, Map<SnapshotId, List<String>> decor) {
        Json j = new Json().beginArray();
        for (LogGraph.Row row : rows) {
            History.Entry e = row.entry();
            if (e == null) {
                continue;
            }
            j.beginObject().field("id", e.id().hex()).name("parents").beginArray();
            e.parents().forEach(p -> j.value(p.hex()));
            j.endArray().field("time", e.time().toString()).field("author", e.author())
                    .field("message", e.message()).name("refs").beginArray();
            decor.getOrDefault(e.id(), List.of()).forEach(j::value);
            j.endArray();
            if (graph) {
                j.field("graph", row.graph());
            }
            j.endObject();
        }
        Dom0Cli.printJson(spec, j.endArray());
    }
}
