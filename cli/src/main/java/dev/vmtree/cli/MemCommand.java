package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree mem read REF ADDR LEN | mem write ADDR HEX}: guest memory of a stopped machine. */
@Command(name = "mem", mixinStandardHelpOptions = true,
        description = "Read a snapshot's guest memory, or write the instance's (a new dirty working state).",
        subcommands = {MemCommand.Read.class, MemCommand.Write.class})
public final class MemCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CliException(ExitCodes.USAGE, "mem needs a subcommand: read REF ADDR LEN, or write ADDR HEX");
    }

    /** Parses 0x-hex or decimal. */
    static long number(String what, String s) {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2).replace("_", ""), 16);
            }
            return Long.parseLong(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new CliException(ExitCodes.USAGE, "bad " + what + " '" + s + "' (a decimal number or 0x hex)");
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true,
            description = {"Print LEN bytes of guest-physical memory at ADDR of a snapshot (REF) or, with REF '.', of"
                    + " the instance's current state, as a hex dump. Only the pages read are fetched from the store.",
                "--json: {address, hex}."},
            footer = {"", "Example:", "  vmtree mem read main 0x80200000 64"})
    static final class Read implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "With REF '.': this instance.")
        String instance;

        @Parameters(index = "0", paramLabel = "REF", description = "Snapshot, branch, tag, or '.' for the instance.")
        String ref;

        @Parameters(index = "1", paramLabel = "ADDR", description = "Guest-physical address (0x hex or decimal).")
        String address;

        @Parameters(index = "2", paramLabel = "LEN", description = "Bytes to read (at most 16 MiB).")
        String length;

        @Override
        public Integer call() {
            long addr = number("address", address);
            long len = number("length", length);
            if (len < 0 || len > 16 << 20) {
                throw new CliException(ExitCodes.USAGE, "LEN must be between 0 and 16 MiB: " + length);
            }
            try (Toolstack ts = Dom0Cli.open(spec)) {
                var state = ref.equals(".") ? ts.machines().currentState(ts.instances().resolve(instance))
                        : ts.machines().snapshotState(ts.resolve(ref));
                if (!Machines.holdsMachine(state)) {
                    throw new CliException(ExitCodes.FAILURE, ref + " holds no machine");
                }
                byte[] b;
                try (LiveMachine m = ts.machines().open(state)) {
                    b = m.readMemory(addr, (int) len);
                }
                PrintWriter out = Dom0Cli.out(spec);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("address", String.format("0x%x", addr))
                            .field("hex", HexFormat.of().formatHex(b)).endObject());
                    return ExitCodes.OK;
                }
                for (int off = 0; off < b.length; off += 16) {
                    StringBuilder hex = new StringBuilder(), text = new StringBuilder();
                    for (int i = 0; i < 16; i++) {
                        if (off + i < b.length) {
                            int v = b[off + i] & 0xFF;
                            hex.append(String.format("%02x", v));
                            text.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
                        } else {
                            hex.append("  ");
                        }
                        if (i % 2 == 1) {
                            hex.append(' ');
                        }
                    }
                    out.printf("%08x: %s %s%n", addr + off, hex, text);
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
            description = {"Write bytes (given as hex) into the instance's guest-physical memory at ADDR. The result is a"
                    + " new dirty working state, committed like any other; the write is an event of its ReplayLog.",
                "Refused while the instance runs (status 6)."},
            footer = {"", "Example:", "  vmtree mem write 0x80300000 deadbeef"})
    static final class Write implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
        String instance;

        @Parameters(index = "0", paramLabel = "ADDR", description = "Guest-physical address (0x hex or decimal).")
        String address;

        @Parameters(index = "1", paramLabel = "HEX", description = "The bytes, as hex digits (e.g. deadbeef).")
        String hex;

        @Override
        public Integer call() {
            long addr = number("address", address);
            byte[] data;
            try {
                data = HexFormat.of().parseHex(hex.startsWith("0x") ? hex.substring(2) : hex);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.USAGE, "bad HEX '" + hex + "': an even number of hex digits, please");
            }
            if (data.length == 0 || data.length > 1 << 20) {
                throw new CliException(ExitCodes.USAGE, "HEX must hold 1 byte to 1 MiB");
            }
            try (Toolstack ts = Dom0Cli.open(spec)) {
                InstanceRecord r = ts.instances().resolve(instance);
                try (InstanceLock lock = ts.instances().lock(r.name())) {
                    r = ts.instances().get(r.name());
                    try (LiveMachine m = ts.machines().open(r)) {
                        m.writeMemory(addr, data);
                        InstanceRecord saved = ts.machines().suspend(r, m, Machines.sinceBase(r));
                        Dom0Cli.say(spec, String.format("wrote %d bytes at 0x%x; instance %s is now at state %s",
                                data.length, addr, r.name(), saved.working().stateId().shortHex()));
                    }
                }
                return ExitCodes.OK;
            }
        }
    }
}
