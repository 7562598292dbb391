package dev.vmtree.cli;

import dev.vmtree.dom0.History;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.StateSummary;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotId;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree show [REF]}: what a snapshot (or the instance's working state) holds, without running it. */
@Command(name = "show", mixinStandardHelpOptions = true,
        description = {"Show a snapshot's configuration and state: id, parents, author, date and message, its"
                + " StateId, backend, memory, harts (pc and privilege of each), disks (size, allocated blocks), the"
                + " virtual clock (instructions retired), whether the guest has halted, and its ReplayLog events.",
            "Without REF: the instance's working state (uncommitted), or its base snapshot when it has none."
                + " Only the small state files are read, never a RAM page.",
            "--json: {kind: \"snapshot\"|\"working\", snapshot, instance, parents, author, date, message, state,"
                + " backend, kernel, machineType, isa, clockBase, generationId, memoryBytes, memoryPagesInUse, instructions, halted, harts: [{hart, pc,"
                + " privilege}], disks: [{name, sizeBytes, blockSize, blocks, allocatedBlocks}], replayEvents:"
                + " {KIND: n}} (see docs/cli.md)."},
        footer = {"", "Examples:", "  vmtree show            # the current instance's working state",
            "  vmtree show main~1", "  vmtree --json show v1"})
public final class ShowCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE",
            description = "Without REF: show this instance's state (default: the current one).")
    String instance;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF",
            description = "A branch, tag, snapshot id, HEAD~N ... (default: the instance's working state).")
    String ref;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Machines machines = ts.machines();
            SnapshotId snapshot;
            InstanceRecord r = null;
            StoredState state;
            if (ref != null) {
                snapshot = ts.resolve(ref);
                state = machines.machineState(snapshot, ref);
            } else {
                r = ts.instances().resolve(instance);
                snapshot = r.working() == null ? r.base() : null;
                state = r.working() == null ? machines.machineState(r.base(), r.name() + "'s base")
                        : machines.workingState(r.working());
            }
            History.Entry meta = snapshot == null ? null : ts.history().log(java.util.List.of(snapshot), 1).getFirst();
            StateId id = machines.driver().stateId(state);
            StateSummary s = machines.driver().summarize(state);
            long ramInUse = machines.allocatedPages(state.images().get(s.ramImage()));
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, json(ts, machines, r, snapshot, meta, id, s, state, ramInUse));
                return ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            if (snapshot != null) {
                out.println("snapshot " + snapshot.hex() + (r == null ? "" : " (instance " + r.name()
                        + " is at this snapshot: no uncommitted state)"));
                for (SnapshotId p : meta.parents()) {
                    out.println("Parent:  " + p.hex());
                }
                out.println("Author:  " + meta.author());
                out.println("Date:    " + meta.time());
                out.println();
                meta.message().lines().forEach(l -> out.println("    " + l));
                out.println();
            } else {
                out.println("working state of instance " + r.name() + " (uncommitted; base " + r.base().shortHex()
                        + (r.dirty() ? ", dirty" : ", clean") + ")");
                out.println();
            }
            out.println("state         " + id.hex());
            out.println("backend       " + s.backend() + (s.kernel() == null ? "" : " (kernel " + s.kernel() + ")"));
            out.println("machine       " + s.machineType() + " (" + s.isa() + ")");
            if (s.clockBase() != null) {
                out.println("clock base    " + s.clockBase() + " (the guest's clock: this plus virtual time)");
            }
            if (s.generationId() != null) {
                out.println("generation    " + s.generationId());
            }
            out.println("memory        " + size(s.memoryBytes()) + String.format(" at 0x%x, %,d pages in use",
                    s.ramBase(), ramInUse));
            out.println("instructions  " + String.format("%,d", s.instructions()));
            out.println("halted        " + (s.halted() == null ? "no" : s.halted()));
            out.println("harts         " + s.registers().size());
            for (int h = 0; h < s.registers().size(); h++) {
                Map<String, Long> regs = s.registers().get(h);
                out.println("  hart " + h + "      pc " + GuestValues.hex64(regs.get("pc")) + "  "
                        + GuestValues.privilege(regs.get("priv")) + "-mode");
            }
            for (String d : s.diskImages()) {
                PageTreeRoot root = state.images().get(d);
                out.println(String.format("%-13s %s, %,d of %,d blocks allocated (%s blocks)", d, size(root.size()),
                        machines.allocatedPages(root), root.pageCount(), size(root.pageSize())));
            }
            long events = s.replayEvents().values().stream().mapToLong(Long::longValue).sum();
            StringBuilder kinds = new StringBuilder();
            s.replayEvents().forEach((k, v) -> kinds.append(kinds.isEmpty() ? "" : ", ").append(v).append(' ').append(k));
            out.println("replay log    " + events + (events == 1 ? " event" : " events") + (kinds.isEmpty() ? "" : " (" + kinds + ")"));
            return ExitCodes.OK;
        }
    }

    private static Json json(Toolstack ts, Machines machines, InstanceRecord r, SnapshotId snapshot, History.Entry meta,
                             StateId id, StateSummary s, StoredState state, long ramInUse) {
        Json j = new Json().beginObject().field("kind", snapshot == null ? "working" : "snapshot")
                .field("snapshot", snapshot == null ? null : snapshot.hex())
                .field("instance", r == null ? null : r.name());
        j.name("parents").beginArray();
        if (meta != null) {
            meta.parents().forEach(p -> j.value(p.hex()));
        } else {
            j.value(r.base().hex());
        }
        j.endArray().field("author", meta == null ? null : meta.author())
                .field("date", meta == null ? null : meta.time().toString())
                .field("message", meta == null ? null : meta.message())
                .field("state", id.hex()).field("backend", s.backend()).field("kernel", s.kernel())
                .field("machineType", s.machineType()).field("isa", s.isa())
                .field("clockBase", s.clockBase()).field("generationId", s.generationId())
                .field("memoryBytes", s.memoryBytes()).field("memoryPagesInUse", ramInUse)
                .field("instructions", s.instructions()).field("halted", s.halted());
        j.name("harts").beginArray();
        for (int h = 0; h < s.registers().size(); h++) {
            Map<String, Long> regs = s.registers().get(h);
            j.beginObject().field("hart", h).field("pc", GuestValues.hex64(regs.get("pc")))
                    .field("privilege", GuestValues.privilege(regs.get("priv"))).endObject();
        }
        j.endArray().name("disks").beginArray();
        for (String d : s.diskImages()) {
            PageTreeRoot root = state.images().get(d);
            j.beginObject().field("name", d).field("sizeBytes", root.size()).field("blockSize", root.pageSize())
                    .field("blocks", root.pageCount()).field("allocatedBlocks", machines.allocatedPages(root)).endObject();
        }
        j.endArray().name("replayEvents").beginObject();
        s.replayEvents().forEach(j::field);
        return j.endObject().endObject();
    }

    static String size(long bytes) {
        if (bytes >= 1 << 30 && bytes % (1 << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
