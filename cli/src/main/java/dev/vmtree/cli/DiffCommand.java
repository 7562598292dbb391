package dev.vmtree.cli;

import dev.vmtree.dom0.Inspect;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree diff REF [REF] [--stat]}. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Show what differs between two machine states: registers (per hart), device state (clock,"
                + " halt, PLIC, UART, each virtio slot), memory pages (count and guest-physical ranges) and disk blocks"
                + " (count and byte ranges). With one REF, compare it with the instance's current state, as"
                + " `git diff REF` compares with the work tree. Pages are compared by content id, so the cost"
                + " follows what differs, not the machine's size.",
            "--json: {registers: [{hart, name, from, to}], devices: [s], images: [{image, pages, ranges: [[first, last]]"
                + " (addresses for ram, byte offsets for disks)}]}. Exit status 0 whether or not they differ."})
public final class DiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "With one REF: this instance (default: the current one).")
    String instance;

    @Option(names = "--stat", description = "Counts only.")
    boolean stat;

    @Parameters(index = "0", paramLabel = "REF", description = "The old state.")
    String from;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REF2", description = "The new state (default: the instance).")
    String to;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            StoredState a = ts.machines().snapshotState(ts.resolve(from));
            StoredState b;
            if (to != null) {
                b = ts.machines().snapshotState(ts.resolve(to));
            } else {
                InstanceRecord r = ts.instances().resolve(instance);
                b = ts.machines().currentState(r);
            }
            Inspect.Difference d = new Inspect(ts).diff(a, b);
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().name("registers").beginArray();
                for (Inspect.RegisterChange c : d.registers()) {
                    j.beginObject().field("hart", c.hart()).field("name", c.name()).field("from", hex(c.from()))
                            .field("to", hex(c.to())).endObject();
                }
                j.endArray().name("devices").beginArray();
                d.devices().forEach(j::value);
                j.endArray().name("images").beginArray();
                for (Inspect.ImageChange c : d.images()) {
                    j.beginObject().field("image", c.image()).field("pages", c.pages()).name("ranges").beginArray();
                    for (long[] r : c.ranges()) {
                        j.beginArray().value(hex(c.base() + r[0] * c.pageSize()))
                                .value(hex(c.base() + (r[1] + 1) * c.pageSize() - 1)).endArray();
                    }
                    j.endArray().endObject();
                }
                Dom0Cli.printJson(spec, j.endArray().endObject());
                return ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            if (d.none()) {
                out.println("no differences");
                return ExitCodes.OK;
            }
            if (stat) {
                out.println(d.registers().size() + " registers differ");
                out.println(d.devices().size() + " device or machine fields differ");
                for (Inspect.ImageChange c : d.images()) {
                    out.println(c.image() + ": " + c.pages() + (c.image().equals("ram") ? " pages" : " blocks") + " differ");
                }
                return ExitCodes.OK;
            }
            if (!d.registers().isEmpty()) {
                out.println("registers:");
                for (Inspect.RegisterChange c : d.registers()) {
                    out.printf("  hart %d %-9s %s -> %s%n", c.hart(), c.name(), hex(c.from()), hex(c.to()));
                }
            }
            if (!d.devices().isEmpty()) {
                out.println("machine and devices:");
                d.devices().forEach(s -> out.println("  " + s));
            }
            for (Inspect.ImageChange c : d.images()) {
                if (c.pages() == 0) {
                    continue;
                }
                boolean ram = c.image().equals("ram");
                out.printf("%s: %d %s differ%n", c.image(), c.pages(), ram ? "pages" : "blocks");
                int shown = 0;
                for (long[] r : c.ranges()) {
                    if (shown++ == 20) {
                        out.println("  ... " + (c.ranges().size() - 20) + " more ranges");
                        break;
                    }
                    out.printf("  %s-%s%n", hex(c.base() + r[0] * c.pageSize()), hex(c.base() + (r[1] + 1) * c.pageSize() - 1));
                }
            }
            return ExitCodes.OK;
        }
    }

    private static String hex(long v) {
        return String.format("0x%x", v);
    }
}
