package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.StoredState;
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

/** {@code vmtree reg [NAME[=VALUE]] [--hart N]}: read or set registers of an instance's machine. */
@Command(name = "reg", mixinStandardHelpOptions = true,
        description = {"List the registers of a hart of the instance's machine (where it stands now: its working"
                + " state, else its base), read one, or set one with NAME=VALUE. Setting restores the machine, changes"
                + " the register (a ReplayLog event) and suspends it again: a new dirty state that `commit` snapshots"
                + " like any other; refused while the instance runs (status 6).",
            "Names: pc, x0-x31 or ABI names (ra, sp, a0, fp, ...), priv (0 U, 1 S, 3 M), and the CSRs mstatus,"
                + " medeleg, mideleg, mie, mip, mtvec, mepc, mcause, mtval, mscratch, stvec, sepc, scause, stval,"
                + " sscratch, satp, mcounteren, scounteren, menvcfg, senvcfg. x0 cannot be set. VALUE: 0x hex or"
                + " decimal (negative allowed).",
            "--json: list {hart, registers: {NAME: \"0x...\"}}; read {hart, name, value}; set {instance, hart, name,"
                + " value, state, dirty}."},
        footer = {"", "Examples:", "  vmtree reg", "  vmtree reg a0", "  vmtree reg pc=0x80200000",
            "  vmtree reg --hart 1 -i other sp"})
public final class RegCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = "--hart", paramLabel = "N", defaultValue = "0", description = "The hart (default: 0).")
    int hart;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME[=VALUE]",
            description = "A register to read, or to set to VALUE.")
    String register;

    @Override
    public Integer call() {
        String name = register;
        Long value = null;
        if (register != null && register.contains("=")) {
            name = register.substring(0, register.indexOf('='));
            value = GuestValues.number("value", register.substring(register.indexOf('=') + 1));
        }
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Machines machines = ts.machines();
            MachineDriver driver = machines.driver();
            String key = name == null ? null : driver.registerKey(name);
            if (value != null) {
                return set(ts, key, value);
            }
            InstanceRecord r = ts.instances().resolve(instance);
            StoredState state = r.working() != null ? machines.workingState(r.working())
                    : machines.machineState(r.base(), r.name() + "'s base");
            var harts = driver.summarize(state).registers();
            if (hart < 0 || hart >= harts.size()) {
                throw new CliException(ExitCodes.USAGE, "no hart " + hart + " (the machine has " + harts.size() + ")");
            }
            Map<String, Long> regs = harts.get(hart);
            if (key != null) {
                long v = regs.get(key);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("hart", hart).field("name", key)
                            .field("value", GuestValues.hex64(v)).endObject());
                } else {
                    Dom0Cli.out(spec).println(String.format("0x%x", v));
                }
                return ExitCodes.OK;
            }
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("hart", hart).name("registers").beginObject();
                regs.forEach((k, v) -> j.field(k, GuestValues.hex64(v)));
                Dom0Cli.printJson(spec, j.endObject().endObject());
                return ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            regs.forEach((k, v) -> {
                String alias = driver.registerAlias(k);
                out.println(String.format("%-10s %s%s", k + (alias == null ? "" : "/" + alias), GuestValues.hex64(v),
                        k.equals("priv") ? " (" + GuestValues.privilege(v) + ")" : ""));
            });
            return ExitCodes.OK;
        }
    }

    private int set(Toolstack ts, String key, long value) {
        InstanceRecord saved = ts.machines().edit(instance, m -> m.setRegister(hart, key, value));
        if (Dom0Cli.json(spec)) {
            Dom0Cli.printJson(spec, new Json().beginObject().field("instance", saved.name()).field("hart", hart)
                    .field("name", key).field("value", GuestValues.hex64(value))
                    .field("state", saved.currentState().hex()).field("dirty", saved.dirty()).endObject());
        } else {
            Dom0Cli.say(spec, "set " + key + " of hart " + hart + " of instance " + saved.name() + " to "
                    + GuestValues.hex64(value) + "; state " + saved.currentState().shortHex()
                    + (saved.dirty() ? " (dirty)" : " (clean)"));
        }
        return ExitCodes.OK;
    }
}
