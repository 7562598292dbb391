package dev.vmtree.cli;

import dev.vmtree.core.cpu.HartState;
import dev.vmtree.core.replay.ReplayLog;
import dev.vmtree.core.state.ExecutionState;
import dev.vmtree.core.state.MachineLayout;
import dev.vmtree.dom0.History;
import dev.vmtree.dom0.Inspect;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Sizes;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.rv64.CoreDriver;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotId;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree show [REF]}: a snapshot's configuration and state summary with its StateId. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show a snapshot: id, parents, author, date, message, StateId, backend, memory, harts, disks"
                + " (size, allocated blocks), the virtual clock, whether the guest halted, each hart's pc and"
                + " privilege, and the ReplayLog it carries. Without REF: the instance's current state.",
            "--json: {snapshot|null, parents, author, time, message, state, backend, memoryBytes, harts: [{hart, pc,"
                + " privilege, waiting, stopped}], disks: [{name, bytes, allocatedBlocks}], instructions, halted,"
                + " replayEvents: {KIND: n}}."})
public final class ShowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "Without REF: this instance (default: the current one).")
    String instance;

    @Parameters(arity = "0..1", paramLabel = "REF", description = "Snapshot, branch or tag.")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            StoredState state;
            SnapshotId id = null;
            History.Entry entry = null;
            String what;
            if (ref != null) {
                id = ts.resolve(ref);
                state = ts.machines().snapshotState(id);
                entry = ts.history().log(List.of(id), 1).getFirst();
                what = "snapshot " + id.hex();
            } else {
                InstanceRecord r = ts.instances().resolve(instance);
                state = ts.machines().currentState(r);
                what = "instance " + r.name() + (r.working() == null ? " (at its base " + r.base().shortHex() + ")"
                        : " (working state, base " + r.base().shortHex() + ")");
            }
            ExecutionState e = Inspect.execution(state);
            StateId sid = ts.machines().driver().stateId(state);
            ReplayLog log = Inspect.replayLog(state, e.instructions());
            Map<String, Integer> events = Inspect.eventCounts(log);
            Inspect inspect = new Inspect(ts);
            String definition = state.files().containsKey(CoreDriver.DEFINITION_FILE)
                    ? new String(state.files().get(CoreDriver.DEFINITION_FILE), StandardCharsets.UTF_8) : "";
            String backend = line(definition, "backend", "?");
            String kernel = line(definition, "kernel", "?");
            MachineLayout l = e.layout();
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("snapshot", id == null ? null : id.hex()).name("parents").beginArray();
                if (entry != null) {
                    entry.parents().forEach(p -> j.value(p.hex()));
                }
                j.endArray().field("author", entry == null ? null : entry.author())
                        .field("time", entry == null ? null : entry.time().toString())
                        .field("message", entry == null ? null : entry.message()).field("state", sid.hex())
                        .field("backend", backend).field("kernel", kernel).field("memoryBytes", l.memoryBytes())
                        .name("harts").beginArray();
                for (int h = 0; h < e.harts().size(); h++) {
                    HartState hs = e.harts().get(h);
                    j.beginObject().field("hart", h).field("pc", String.format("0x%x", hs.pc()))
                            .field("privilege", priv(hs.privilege())).field("waiting", hs.waitingForInterrupt())
                            .field("stopped", hs.stopped()).endObject();
                }
                j.endArray().name("disks").beginArray();
                for (int d = 0; d < l.disks().size(); d++) {
                    PageTreeRoot root = state.images().get(CoreDriver.diskImage(d));
                    j.beginObject().field("name", CoreDriver.diskImage(d)).field("bytes", l.disks().get(d).size())
                            .field("allocatedBlocks", root == null ? 0 : inspect.allocatedPages(root)).endObject();
                }
                j.endArray().field("instructions", e.instructions()).field("halted", Inspect.halt(e))
                        .name("replayEvents").beginObject();
                events.forEach(j::field);
                Dom0Cli.printJson(spec, j.endObject().endObject());
                return ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            out.println(what);
            if (entry != null) {
                out.println("parents  " + (entry.parents().isEmpty() ? "(none: a root)"
                        : String.join(" ", entry.parents().stream().map(SnapshotId::shortHex).toList())));
                out.println("author   " + entry.author());
                out.println("date     " + entry.time());
                out.println();
                entry.message().lines().forEach(m -> out.println("    " + m));
                out.println();
            }
            out.println("state    " + sid.hex());
            out.println("machine  " + backend + ", kernel " + kernel + ", " + Sizes.human(l.memoryBytes()) + " RAM, "
                    + l.harts() + (l.harts() == 1 ? " hart" : " harts") + (l.bootargs().isEmpty() ? ""
                    : ", bootargs \"" + l.bootargs() + "\""));
            for (int d = 0; d < l.disks().size(); d++) {
                PageTreeRoot root = state.images().get(CoreDriver.diskImage(d));
                out.printf("disk     %s: %s, %d of %d blocks allocated%s%n", CoreDriver.diskImage(d),
                        Sizes.human(l.disks().get(d).size()), root == null ? 0 : inspect.allocatedPages(root),
                        root == null ? 0 : root.pageCount(), l.disks().get(d).readOnly() ? ", read-only" : "");
            }
            out.printf("clock    %,d instructions%n", e.instructions());
            out.println("guest    " + Inspect.halt(e));
            for (int h = 0; h < e.harts().size(); h++) {
                HartState hs = e.harts().get(h);
                out.printf("hart %d   pc 0x%x, %s-mode%s%n", h, hs.pc(), priv(hs.privilege()),
                        hs.stopped() ? ", stopped" : hs.waitingForInterrupt() ? ", waiting (wfi)" : "");
            }
            StringBuilder ev = new StringBuilder();
            events.forEach((k, v) -> ev.append(ev.isEmpty() ? "" : ", ").append(v).append(' ').append(k));
            out.println("replay   " + log.events().size() + " events since instruction "
                    + String.format("%,d", log.start()) + (ev.isEmpty() ? "" : " (" + ev + ")"));
            return ExitCodes.OK;
        }
    }

    static String priv(int p) {
        return switch (p) {
            case 0 -> "U";
            case 1 -> "S";
            case 3 -> "M";
            default -> "?";
        };
    }

    private static String line(String text, String key, String otherwise) {
        return text.lines().filter(l -> l.startsWith(key + " ")).map(l -> l.substring(key.length() + 1)).findFirst()
                .orElse(otherwise);
    }
}
