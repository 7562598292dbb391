package dev.vmtree.cli;

import dev.vmtree.core.cpu.RegisterNames;
import dev.vmtree.core.state.ExecutionState;
import dev.vmtree.dom0.Inspect;
import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree reg [NAME[=VALUE]]}: the registers of a stopped instance. */
@Command(name = "reg", mixinStandardHelpOptions = true,
        description = {"List the registers of one hart of the instance's current state, print one, or set one"
                + " (NAME=VALUE: a new dirty working state, committed like any other; the change is an event of its"
                + " ReplayLog). Names: pc, x0-x31 or ABI names (ra, sp, a0 ...), priv, and the CSRs mstatus, mie,"
                + " mip, mtvec, mepc, mcause, mtval, mscratch, medeleg, mideleg, stvec, sepc, scause, stval,"
                + " sscratch, satp, mcounteren, scounteren, menvcfg, senvcfg (written verbatim).",
            "Setting is refused while the instance runs (status 6). --json: {NAME: \"0x...\"}."},
        footer = {"", "Examples:", "  vmtree reg", "  vmtree reg a0", "  vmtree reg pc=0x80200000 --hart 1"})
public final class RegCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = "--hart", paramLabel = "N", defaultValue = "0", description = "The hart (default: 0).")
    int hart;

    @Parameters(arity = "0..1", paramLabel = "NAME[=VALUE]", description = "A register, or an assignment.")
    String what;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            InstanceRecord r = ts.instances().resolve(instance);
            if (what != null && what.contains("=")) {
                String name = what.substring(0, what.indexOf('=')).trim();
                long value = MemCommand.number("value", what.substring(what.indexOf('=') + 1).trim());
                try (InstanceLock lock = ts.instances().lock(r.name())) {
                    r = ts.instances().get(r.name());
                    try (LiveMachine m = ts.machines().open(r)) {
                        m.setRegister(hart, name, value);
                        InstanceRecord saved = ts.machines().suspend(r, m, Machines.sinceBase(r));
                        Dom0Cli.say(spec, String.format("hart %d %s = 0x%x; instance %s is now at state %s", hart, name,
                                value, r.name(), saved.working().stateId().shortHex()));
                    }
                }
                return ExitCodes.OK;
            }
            ExecutionState e = Inspect.execution(ts.machines().currentState(r));
            if (hart < 0 || hart >= e.harts().size()) {
                throw new CliException(ExitCodes.USAGE, "no hart " + hart + " (the machine has " + e.harts().size() + ")");
            }
            Map<String, Long> all = RegisterNames.all(e.harts().get(hart));
            PrintWriter out = Dom0Cli.out(spec);
            if (what != null) {
                long v;
                try {
                    v = RegisterNames.get(e.harts().get(hart), what);
                } catch (IllegalArgumentException ex) {
                    throw new CliException(ExitCodes.USAGE, ex.getMessage());
                }
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field(what, String.format("0x%x", v)).endObject());
                } else {
                    out.printf("0x%x%n", v);
                }
                return ExitCodes.OK;
            }
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject();
                all.forEach((k, v) -> j.field(k, String.format("0x%x", v)));
                Dom0Cli.printJson(spec, j.endObject());
                return ExitCodes.OK;
            }
            int col = 0;
            for (var en : all.entrySet()) {
                String label = en.getKey();
                if (label.matches("x\\d+")) {
                    label = label + "/" + RegisterNames.ABI.get(Integer.parseInt(label.substring(1)));
                }
                out.printf("%-10s 0x%016x%s", label, en.getValue(), ++col % 3 == 0 ? "\n" : "   ");
            }
            if (col % 3 != 0) {
                out.println();
            }
            return ExitCodes.OK;
        }
    }
}
