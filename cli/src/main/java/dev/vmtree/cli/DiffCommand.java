package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.StateSummary;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Machines.ImageDifference;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.SnapshotId;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree diff REF [REF] [--stat]}: what differs between two machine states. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Compare two machine states: registers (per hart, only those that differ), device state"
                + " (clock, halt, pending input, PLIC, UART, each virtio slot, hidden hart state), memory pages"
                + " (count and guest-physical address ranges) and disk blocks (count and byte ranges).",
            "With one REF, compare it with where the instance stands now (its working state, else its base"
                + " snapshot), like `git diff REF`; with none, compare the instance's head (its base snapshot) with"
                + " its working state, like `git diff`. Cost grows with the differences, not with RAM or disk size.",
            "--json: {from: {ref, snapshot, state}, to: {...}, identical, registers: {count, changes: [{hart, name,"
                + " from, to}]}, devices: [s], images: [{name, kind, unit, count, ranges: [{start, end, units}]}]};"
                + " --stat leaves out changes and ranges (see docs/cli.md)."},
        footer = {"", "Examples:", "  vmtree diff                  # the working state against its base (HEAD)",
            "  vmtree diff main~1 main --stat", "  vmtree --json diff v1 v2"})
public final class DiffCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE",
            description = "With one REF or none: compare with this instance (default: the current one).")
    String instance;

    @Option(names = "--stat", description = "Counts only: how many registers, devices, pages and blocks differ.")
    boolean stat;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF",
            description = "The state to compare from (default: the instance's head, its base snapshot).")
    String from;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REF",
            description = "The state to compare to (default: the instance's current state).")
    String to;

    /** One side of the comparison. */
    private record Side(String label, SnapshotId snapshot, StoredState state, StateId id) {}

    /** One register that differs. */
    record RegisterChange(int hart, String name, long from, long to) {}

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Machines machines = ts.machines();
            MachineDriver driver = machines.driver();
            Side a = from != null ? snapshotSide(ts, from) : snapshotSide(ts, "HEAD",
                    ts.instances().resolve(instance).base());
            Side b;
            if (to != null) {
                b = snapshotSide(ts, to);
            } else {
                InstanceRecord r = ts.instances().resolve(instance);
                StoredState s = r.working() != null ? machines.workingState(r.working())
                        : machines.machineState(r.base(), r.name() + "'s base");
                b = new Side(r.working() != null ? "instance " + r.name() + " (working state)"
                        : "instance " + r.name() + " (at " + r.base().shortHex() + ")",
                        r.working() != null ? null : r.base(), s, driver.stateId(s));
            }
            Changes changes = Changes.of(machines, a.state(), b.state(), stat);
            StateSummary sa = changes.from();
            List<RegisterChange> registers = changes.registers();
            List<String> devices = changes.devices();
            List<ImageDifference> images = changes.images();
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, json(a, b, registers, devices, images, sa));
                return ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            out.println("diff " + a.label() + " -> " + b.label());
            out.println("state " + a.id().shortHex() + " -> " + b.id().shortHex()
                    + (a.id().equals(b.id()) ? " (identical)" : ""));
            if (stat) {
                out.println(String.format("registers  %d", registers.size()));
                out.println(String.format("devices    %d%s", devices.size(), devices.isEmpty() ? ""
                        : " (" + String.join(", ", devices.stream().map(d -> d.substring(0, d.indexOf(':'))).toList()) + ")"));
                for (ImageDifference d : images) {
                    out.println(String.format("%-10s %,d %s of %s", d.image(), d.pages(),
                            units(isRam(d, sa), d.pages()), ShowCommand.size(d.pageSize())));
                }
                return ExitCodes.OK;
            }
            changes.print(out, driver);
            return ExitCodes.OK;
        }
    }

    /** The lines of a full diff after its header: registers, devices, then each image's differing ranges. */
    static void printChanges(PrintWriter out, MachineDriver driver, StateSummary sa, List<RegisterChange> registers,
                             List<String> devices, List<ImageDifference> images) {
        if (!registers.isEmpty()) {
            out.println("registers:");
            for (RegisterChange c : registers) {
                String alias = driver.registerAlias(c.name());
                out.println(String.format("  hart %d %-9s 0x%x -> 0x%x", c.hart(), c.name() + (alias == null ? ""
                        : "/" + alias), c.from(), c.to()));
            }
        }
        if (!devices.isEmpty()) {
            out.println("devices:");
            devices.forEach(d -> out.println("  " + d));
        }
        for (ImageDifference d : images) {
            if (d.pages() == 0) {
                continue;
            }
            boolean ram = isRam(d, sa);
            out.println(String.format("%s: %,d %s of %s differ%s", ram ? "memory" : d.image(), d.pages(),
                    units(ram, d.pages()), ShowCommand.size(d.pageSize()), ram ? " (guest-physical)" : " (bytes)"));
            long base = ram ? sa.ramBase() : 0;
            for (long[] range : d.ranges()) {
                long n = range[1] - range[0] + 1;
                out.println(String.format("  0x%x-0x%x  %,d %s", base + range[0] * d.pageSize(),
                        base + (range[1] + 1) * d.pageSize() - 1, n, units(ram, n)));
            }
        }
    }

    /** Everything that differs between two stored states, memory first; ranges unless {@code stat}. */
    record Changes(StateSummary from, List<RegisterChange> registers, List<String> devices, List<ImageDifference> images) {
        static Changes of(Machines machines, StoredState a, StoredState b, boolean stat) {
            MachineDriver driver = machines.driver();
            StateSummary sa = driver.summarize(a), sb = driver.summarize(b);
            List<ImageDifference> images = new ArrayList<>(machines.differingImages(a, b, !stat));
            images.sort(java.util.Comparator.comparing((ImageDifference d) -> !isRam(d, sa)));   // memory first
            return new Changes(sa, DiffCommand.registers(sa, sb), driver.differingDevices(a, b), images);
        }

        void print(PrintWriter out, MachineDriver driver) {
            printChanges(out, driver, from, registers, devices, images);
        }
    }

    private static Side snapshotSide(Toolstack ts, String rev) {
        return snapshotSide(ts, rev, ts.resolve(rev));
    }

    private static Side snapshotSide(Toolstack ts, String rev, SnapshotId id) {
        StoredState s = ts.machines().machineState(id, rev);
        return new Side(rev + " (" + id.shortHex() + ")", id, s, ts.machines().driver().stateId(s));
    }

    private static String units(boolean ram, long n) {
        return (ram ? "page" : "block") + (n == 1 ? "" : "s");
    }

    private static boolean isRam(ImageDifference d, StateSummary s) {
        return d.image().equals(s.ramImage());
    }

    /** Registers that differ, hart by hart, in display order (harts on one side only are left to the devices view). */
    private static List<RegisterChange> registers(StateSummary a, StateSummary b) {
        List<RegisterChange> out = new ArrayList<>();
        for (int h = 0; h < Math.min(a.registers().size(), b.registers().size()); h++) {
            Map<String, Long> ra = a.registers().get(h), rb = b.registers().get(h);
            for (var e : ra.entrySet()) {
                Long other = rb.get(e.getKey());
                if (other != null && !Objects.equals(e.getValue(), other)) {
                    out.add(new RegisterChange(h, e.getKey(), e.getValue(), other));
                }
            }
        }
        return out;
    }

    private Json json(Side a, Side b, List<RegisterChange> registers, List<String> devices, List<ImageDifference> images,
                      StateSummary sa) {
        Json j = new Json().beginObject();
        side(j.name("from"), a, from == null ? "HEAD" : from);
        side(j.name("to"), b, to);
        j.field("identical", a.id().equals(b.id()));
        j.name("registers").beginObject().field("count", registers.size());
        if (!stat) {
            j.name("changes").beginArray();
            for (RegisterChange c : registers) {
                j.beginObject().field("hart", c.hart()).field("name", c.name()).field("from", GuestValues.hex64(c.from()))
                        .field("to", GuestValues.hex64(c.to())).endObject();
            }
            j.endArray();
        }
        j.endObject().name("devices").beginArray();
        devices.forEach(j::value);
        j.endArray().name("images").beginArray();
        for (ImageDifference d : images) {
            boolean ram = isRam(d, sa);
            j.beginObject().field("name", d.image()).field("kind", ram ? "memory" : "disk").field("unit", d.pageSize())
                    .field("count", d.pages());
            if (!stat) {
                long base = ram ? sa.ramBase() : 0;
                j.name("ranges").beginArray();
                for (long[] range : d.ranges()) {
                    j.beginObject().field("start", base + range[0] * d.pageSize())
                            .field("end", base + (range[1] + 1) * d.pageSize() - 1)
                            .field("units", range[1] - range[0] + 1).endObject();
                }
                j.endArray();
            }
            j.endObject();
        }
        return j.endArray().endObject();
    }

    private static void side(Json j, Side s, String ref) {
        j.beginObject().field("ref", ref).field("snapshot", s.snapshot() == null ? null : s.snapshot().hex())
                .field("state", s.id().hex()).endObject();
    }
}
