package dev.vmtree.cli;

import dev.vmtree.dom0.Bisect;
import dev.vmtree.dom0.Condition;
import dev.vmtree.dom0.Replays;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree bisect GOOD BAD --run CONDITION}: git bisect for machine time. */
@Command(name = "bisect", mixinStandardHelpOptions = true,
        description = {"Find the first moment a condition holds: first the snapshot, on the first-parent path from GOOD"
                + " (where it does not hold) to BAD (where it does), then the exact instruction of that snapshot's run,"
                + " by replaying it from its parent (see `vmtree replay`).",
            "CONDITION is one of: 'mem[8|16|32|64] ADDR == VALUE' (little-endian, guest-physical; mem alone is 64"
                + " bits), 'reg [HART:]NAME == VALUE' (hart 0 unless named; pc, x0-x31, ABI names, CSRs), 'console"
                + " contains TEXT' (output since GOOD); != for not equal. Numbers are 0x hex or decimal.",
            "Memory and register conditions are tested on the snapshots themselves (a binary search, like git"
                + " bisect: they should hold from some snapshot on); console conditions replay each run in turn.",
            "--json: {good, bad, condition, path: n, steps: [{snapshot, holds}], first, parent, instruction, hart,"
                + " pc, instance} (see docs/cli.md)."},
        footer = {"", "Examples:", "  vmtree bisect v1 main --run 'mem32 0x80209290 != 0'",
            "  vmtree bisect main~8 main --run 'console contains PANIC' \\",
            "      --to-instance at-panic",
            "  vmtree bisect good bad --run 'reg a0 == 0x2a'"})
public final class BisectCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "GOOD", description = "A snapshot where the condition does not hold.")
    String good;

    @Parameters(index = "1", paramLabel = "BAD", description = "A later snapshot (a descendant of GOOD) where it holds.")
    String bad;

    @Option(names = "--run", paramLabel = "CONDITION", required = true, description = "What to look for (see above).")
    String condition;

    @Option(names = "--to-instance", paramLabel = "NAME",
            description = "Keep the first moment as a new instance NAME (detached at its snapshot's parent).")
    String toInstance;

    @Mixin
    EngineOption engineOption;

    @Override
    public Integer call() {
        try (Toolstack ts = engineOption.open(spec)) {
            Condition c = Condition.parse(condition, ts.machines().driver());
            PrintWriter out = Dom0Cli.out(spec);
            boolean text = !Dom0Cli.json(spec);
            Bisect.Found f = ts.bisect().search(good, bad, c, step -> {
                if (text) {
                    out.println("  " + step.snapshot().shortHex() + "  " + (step.holds() ? "holds" : "does not hold"));
                    out.flush();
                }
            });
            Replays.Result kept = toInstance == null ? null
                    : ts.replays().replay(f.first().toString(), new Replays.Stop(f.instruction(),
                            dev.vmtree.dom0.MachineDriver.Replay.NO_PC), toInstance);
            if (!text) {
                Json j = new Json().beginObject().field("good", ts.resolve(good).toString())
                        .field("bad", ts.resolve(bad).toString()).field("condition", c.text())
                        .field("path", f.path().size());
                j.name("steps").beginArray();
                for (Bisect.Step s : f.steps()) {
                    j.beginObject().field("snapshot", s.snapshot().toString()).field("holds", s.holds()).endObject();
                }
                j.endArray().field("first", f.first().toString()).field("parent", f.parent().toString())
                        .field("instruction", f.instruction()).field("hart", f.hart()).field("pc", f.pc())
                        .field("instance", kept == null ? null : kept.instance().name());
                Dom0Cli.printJson(spec, j.endObject());
                return ExitCodes.OK;
            }
            out.println("first snapshot where it holds: " + f.first().shortHex() + " (parent " + f.parent().shortHex()
                    + ", " + (f.path().size() - 1) + " runs searched from " + good + ")");
            out.println(String.format("first moment: instruction %,d, after hart %d executed the instruction at 0x%x",
                    f.instruction(), f.hart(), f.pc()));
            if (kept != null) {
                out.println("instance " + toInstance + " holds that moment (detached at " + f.parent().shortHex() + ")");
            } else {
                out.println("to inspect it: vmtree replay " + f.first().shortHex() + " --until " + f.instruction()
                        + " --to-instance NAME");
            }
            return ExitCodes.OK;
        }
    }
}
