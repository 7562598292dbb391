package dev.vmtree.cli;

import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.Replays;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree replay REF [--verify] [--until N | --until-pc ADDR] [--to-instance NAME]}. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Re-run a snapshot from its parent: restore the parent's state and give the machine back"
                + " everything the snapshot's ReplayLog recorded (console bytes, entropy, `mem write`, `reg`, NBD disk"
                + " writes), each at the instruction count where it first happened, until the snapshot's own count.",
            "--verify proves the replay reproduces the snapshot: same StateId, else exit status 7 and the first"
                + " divergence (the first input the machine did not take where the log says) and every register,"
                + " device, memory page and disk block that differs.",
            "--until N or --until-pc ADDR stops at an earlier moment (an absolute instruction count, as `vmtree"
                + " show` prints; or the first time the hart about to execute is at ADDR); --to-instance NAME keeps"
                + " that moment as a new instance, detached at the parent with the replayed state as its working"
                + " state, to inspect, run or commit.",
            "Guest output is not shown again. --json: {ref, snapshot, parent, from, end, target, reached, stopped,"
                + " expected, actual, verified, divergence, instance} (see docs/cli.md)."},
        footer = {"", "Examples:", "  vmtree replay main --verify", "  vmtree replay v2 --until 1500000 --to-instance probe",
            "  vmtree replay HEAD --until-pc 0x80000a3c --to-instance at-bug"})
public final class ReplayCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REF", description = "The snapshot to replay (a branch, tag, id, HEAD~N ...).")
    String ref;

    @Option(names = "--verify", description = "Exit 7 and report the differences unless the replay reproduces REF exactly.")
    boolean verify;

    @ArgGroup(exclusive = true)
    Until until;

    static final class Until {
        @Option(names = "--until", paramLabel = "N", required = true,
                description = "Stop when the clock reads N instructions (between the parent's count and REF's).")
        String instructions;

        @Option(names = "--until-pc", paramLabel = "ADDR", required = true,
                description = "Stop the first time the hart about to execute is at ADDR (else at REF's count).")
        String pc;
    }

    @Option(names = "--to-instance", paramLabel = "NAME",
            description = "Keep the reached state as a new instance NAME (detached at REF's parent).")
    String toInstance;

    @Mixin
    EngineOption engineOption;

    @Override
    public Integer call() {
        Replays.Stop stop = Replays.Stop.AT_SNAPSHOT;
        if (until != null && until.instructions != null) {
            stop = new Replays.Stop(GuestValues.address("instruction count", until.instructions), MachineDriver.Replay.NO_PC);
        } else if (until != null) {
            stop = new Replays.Stop(-1, GuestValues.address("address", until.pc));
        }
        if (verify && until != null) {
            throw new CliException(ExitCodes.USAGE, "--verify compares with REF itself: it cannot be combined with --until"
                    + " or --until-pc");
        }
        try (Toolstack ts = engineOption.open(spec)) {
            Replays.Result r = ts.replays().replay(ref, stop, toInstance);
            boolean failed = verify && !r.verified();
            if (Dom0Cli.json(spec)) {
                Json j = new Json().beginObject().field("ref", ref).field("snapshot", r.ref().toString())
                        .field("parent", r.parent().toString()).field("from", r.from()).field("end", r.end())
                        .field("target", r.target()).field("reached", r.reached())
                        .field("stopped", r.outcome().cause().name().toLowerCase(java.util.Locale.ROOT))
                        .field("expected", r.expected().hex()).field("actual", r.actual().hex())
                        .field("verified", r.verified());
                j.field("divergence", r.divergence())
                        .field("instance", r.instance() == null ? null : r.instance().name());
                Dom0Cli.printJson(spec, j.endObject());
                return failed ? ExitCodes.DIVERGED : ExitCodes.OK;
            }
            PrintWriter out = Dom0Cli.out(spec);
            out.println(String.format("replayed %s (%s) from its parent %s: instructions %,d..%,d", ref,
                    r.ref().shortHex(), r.parent().shortHex(), r.from(), r.reached()));
            if (r.atSnapshot()) {
                out.println(r.verified() ? "state " + r.actual().shortHex() + ", identical to " + ref
                        : "state " + r.actual().shortHex() + ", but " + ref + " has " + r.expected().shortHex()
                                + ": the replay diverged");
            } else {
                out.println(String.format("stopped at instruction %,d (%s); state %s", r.reached(), why(r), r.actual().shortHex()));
            }
            if (stop.pc() != MachineDriver.Replay.NO_PC && r.atSnapshot()) {
                out.println(String.format("the pc 0x%x was not reached before %s's own count", stop.pc(), ref));
            }
            if (r.divergence() != null) {
                out.println("first divergence: " + r.divergence());
            }
            if (r.atSnapshot() && !r.verified()) {
                DiffCommand.Changes.of(ts.machines(), r.snapshot(), r.replayed(), false).print(out, ts.machines().driver());
            }
            if (r.instance() != null) {
                out.println("instance " + r.instance().name() + " holds this state (detached at " + r.parent().shortHex()
                        + "); `vmtree run -i " + r.instance().name() + "` continues from it");
            }
            return failed ? ExitCodes.DIVERGED : ExitCodes.OK;
        }
    }

    private static String why(Replays.Result r) {
        return switch (r.outcome().cause()) {
            case BUDGET -> r.reached() == r.target() ? "as asked" : "the pc was reached";
            case POWER_OFF -> "the guest powered off";
            case GUEST_FAULT -> "the guest reported failure " + r.outcome().guestExitCode();
            case IDLE -> "the guest waits for input the log does not have";
            default -> r.outcome().cause().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
