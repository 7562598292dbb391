package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree mem read [REF] ADDR LEN | write ADDR HEX}: guest memory of a stopped machine, as easily as a file. */
@Command(name = "mem", mixinStandardHelpOptions = true,
        description = "Read guest-physical memory of a snapshot or an instance, or write it on an instance's working"
                + " state (a new dirty state, committed like any other).",
        subcommands = {MemCommand.Read.class, MemCommand.Write.class})
public final class MemCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Bytes read at most at once (the core's own limit on one read). */
    static final int MAX_READ = 64 << 20;

    @Command(name = "read", mixinStandardHelpOptions = true,
            description = {"Print LEN bytes of guest-physical memory at ADDR as a hex dump (like xxd), from snapshot"
                    + " REF or, without REF (or with '.'), from where the instance stands (its working state, else its"
                    + " base)."
                    + " ADDR and LEN: 0x hex or decimal; RAM starts at 0x80000000.",
                "--json: {address, length, hex}."},
            footer = {"", "Examples:", "  vmtree mem read 0x80000000 64", "  vmtree mem read main~1 0x80200000 4096",
                "  vmtree mem read v1 0x80000000 0x100000 -o ram.bin"})
    static final class Read implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE",
                description = "Without REF: read this instance (default: the current one).")
        String instance;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE",
                description = "Write the raw bytes to FILE ('-': standard output) instead of a hex dump.")
        String output;

        @Parameters(arity = "2..3", paramLabel = "[REF] ADDR LEN",
                description = "Optional snapshot ('.': the instance), then address and length.")
        List<String> args;

        @Override
        public Integer call() {
            String ref = args.size() == 3 && !args.get(0).equals(".") ? args.get(0) : null;
            long address = GuestValues.address("address", args.get(args.size() - 2));
            long length = GuestValues.address("length", args.get(args.size() - 1));
            if (length > MAX_READ) {
                throw new CliException(ExitCodes.USAGE, "LEN is at most " + MAX_READ + " bytes (64 MiB): " + length);
            }
            if ("-".equals(output) && Dom0Cli.json(spec)) {
                throw new CliException(ExitCodes.USAGE, "--json and -o - both want standard output; give -o FILE");
            }
            try (Toolstack ts = Dom0Cli.open(spec)) {
                Machines machines = ts.machines();
                StoredState state;
                if (ref != null) {
                    SnapshotId id = ts.resolve(ref);
                    state = machines.machineState(id, ref);
                } else {
                    InstanceRecord r = ts.instances().resolve(instance);
                    state = r.working() != null ? machines.workingState(r.working())
                            : machines.machineState(r.base(), r.name() + "'s base");
                }
                byte[] bytes;
                try (LiveMachine m = machines.open(state)) {
                    bytes = m.readMemory(address, (int) length);
                }
                if (output != null) {
                    write(bytes);
                    if (Dom0Cli.json(spec)) {
                        Dom0Cli.printJson(spec, new Json().beginObject().field("address", address).field("length", length)
                                .field("file", Path.of(output).toAbsolutePath().toString()).endObject());
                    }
                } else if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("address", address).field("length", length)
                            .field("hex", HexFormat.of().formatHex(bytes)).endObject());
                } else {
                    Dom0Cli.out(spec).print(GuestValues.hexdump(address, bytes));
                    Dom0Cli.out(spec).flush();
                }
                return ExitCodes.OK;
            }
        }

        private void write(byte[] bytes) {
            try {
                if (output.equals("-")) {
                    Dom0Cli.out(spec).flush();
                    OutputStream o = System.out;
                    o.write(bytes);
                    o.flush();
                } else {
                    Files.write(Path.of(output), bytes);
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.CANNOT_RUN, "cannot write " + output + ": " + IoErrors.reason(e), e);
            }
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
            description = {"Write bytes (given as hex digits) at guest-physical ADDR of the instance's working state:"
                    + " the machine is restored, changed (a ReplayLog event) and suspended again, a new dirty state"
                    + " that `commit` snapshots like any other. Refused while the instance runs (status 6).",
                "--json: {instance, address, length, state, dirty}."},
            footer = {"", "Examples:", "  vmtree mem write 0x80001000 deadbeef", "  vmtree mem write -i other 2147487744 00"})
    static final class Write implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
        String instance;

        @Parameters(index = "0", paramLabel = "ADDR", description = "Guest-physical address: 0x hex or decimal.")
        String address;

        @Parameters(index = "1", paramLabel = "HEX", description = "The bytes, as an even number of hex digits.")
        String hex;

        @Override
        public Integer call() {
            long at = GuestValues.address("address", address);
            byte[] bytes = GuestValues.bytes(hex);
            try (Toolstack ts = Dom0Cli.open(spec)) {
                InstanceRecord saved = ts.machines().edit(instance, m -> m.writeMemory(at, bytes));
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("instance", saved.name())
                            .field("address", at).field("length", bytes.length)
                            .field("state", saved.currentState().hex()).field("dirty", saved.dirty()).endObject());
                } else {
                    Dom0Cli.say(spec, String.format("wrote %d bytes at 0x%x of instance %s; state %s (%s)", bytes.length,
                            at, saved.name(), saved.currentState().shortHex(), saved.dirty() ? "dirty" : "clean"));
                }
                return ExitCodes.OK;
            }
        }
    }
}
