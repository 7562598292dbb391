package dev.vmtree.cli;


import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.loader.LoadException;
import dev.vmtree.dom0.MachineValues;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree exec}: runs one program on a fresh machine with no repository, console on
 * stdin/stdout, and reports how the guest ended through the exit status — what {@code spike} or
 * {@code qemu -kernel} are to guest developers, and what the guest test suites use.
 */
@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        description = "Run a RISC-V program (ELF or raw binary) on a fresh machine, console on stdin/stdout."
                + " By default the hypervisor serves SBI and the program starts in S-mode with a0 = hart id and"
                + " a1 = the device tree; with --m-mode it starts in M-mode on bare hardware.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the guest shut down cleanly (SBI SRST shutdown or reboot, HTIF tohost = 1)",
            "1:the guest reported failure (SRST system failure, HTIF tohost != 1: prints FAIL: test N),"
                    + " or every hart waits for an interrupt nothing can raise",
            "2:usage error, or a value out of range (--memory, --harts, --max-instructions)",
            "3:the instruction budget (--max-instructions) ran out",
            "4:vmtree could not run the program (unreadable or malformed file, a program too big for RAM, ...)"
        })
public final class ExecCommand implements java.util.concurrent.Callable<Integer> {
    static final int EXIT_SHUTDOWN = 0, EXIT_GUEST_FAILURE = 1, EXIT_BUDGET = 3, EXIT_CANNOT_RUN = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "128M",
            description = "RAM size: bytes or a number with K, M or G (default: ${DEFAULT-VALUE}).")
    String memory;

    @Option(names = "--harts", paramLabel = "N", defaultValue = "1",
            description = "Number of harts (default: ${DEFAULT-VALUE}); in hypervisor mode only hart 0 starts.")
    int harts;

    @Option(names = "--m-mode", description = "Start in M-mode at the entry with no SBI, as on bare hardware.")
    boolean machineMode;

    @Option(names = "--firmware", paramLabel = "FILE",
            description = "Load this M-mode firmware (e.g. OpenSBI fw_dynamic.elf) and run PROGRAM as its"
                    + " S-mode payload; a2 points at an fw_dynamic_info record.")
    Path firmware;

    @Option(names = "--initrd", paramLabel = "FILE",
            description = "Place this file high in RAM and name it in the device tree's /chosen node.")
    Path initrd;

    @Option(names = "--append", paramLabel = "ARGS", defaultValue = "",
            description = "Kernel command line (/chosen bootargs).")
    String append;

    @Option(names = "--max-instructions", paramLabel = "N",
            description = "Stop with status 3 after N instructions of the global clock (0: run none; default: no"
                    + " limit).")
    Long maxInstructions;

    @Parameters(paramLabel = "PROGRAM", description = "The program: an ELF64 RISC-V executable or a raw binary.")
    Path program;

    @Override
    public Integer call() {
        long memBytes = MachineValues.memory("--memory", memory);
        MachineValues.harts("--harts", harts);
        long budget = MachineValues.budget("--max-instructions", maxInstructions);
        boolean mMode = machineMode || firmware != null;
        MachineConfig config;
        try {
            // no repository, no replay: the real-time clock starts at the host's time, as QEMU's does
            config = new MachineConfig(memBytes, harts, mMode, append)
                    .withClockBase(java.time.Instant.now().toEpochMilli() * 1_000_000L);
        } catch (IllegalArgumentException e) {
            throw new CliException(EXIT_CANNOT_RUN, e.getMessage());
        }
        dev.vmtree.dom0.HostMemory.checkGuestRam(memBytes);     // CANNOT_RUN (4) before the guest touches the heap
        PrintWriter out = spec.commandLine().getOut();
        StreamConsole console = new StreamConsole(out, System.in);
        Machine machine;
        try {
            Boot.Images images = new Boot.Images(read(program, "program"), program.toString(),
                    firmware == null ? null : read(firmware, "firmware"), firmware == null ? null : firmware.toString(),
                    initrd == null ? null : read(initrd, "initrd"), initrd == null ? null : initrd.toString());
            machine = Boot.boot(config, console, images);
            byte[] generation = new byte[16];
            new java.security.SecureRandom().nextBytes(generation);
            machine.initializeGenerationId(generation);
        } catch (LoadException e) {
            throw new CliException(EXIT_CANNOT_RUN, e.getMessage());
        }
        RunResult result = machine.run(budget);
        console.flush();
        PrintWriter err = spec.commandLine().getErr();
        return switch (result.reason()) {
            case SHUTDOWN, REBOOT -> EXIT_SHUTDOWN;
            case GUEST_FAILURE -> {
                if (machine.bus().watchedPage() >= 0) {
                    out.println("FAIL: test " + result.detail());
                } else {
                    err.println("vmtree: guest reported system failure (SRST reason " + result.detail() + ")");
                }
                out.flush();
                yield EXIT_GUEST_FAILURE;
            }
            case IDLE -> {
                err.println("vmtree: guest halted: every hart waits for an interrupt nothing can raise");
                yield EXIT_GUEST_FAILURE;
            }
            case BUDGET_EXHAUSTED -> {
                err.println("vmtree: instruction budget of " + maxInstructions + " exhausted");
                yield EXIT_BUDGET;
            }
            case BREAKPOINT -> throw new IllegalStateException("exec sets no breakpoints");
        };
    }

    private static byte[] read(Path file, String what) {
        return MachineValues.readInput(what, file);
    }

    /** Guest console over the command's writer (UTF-8 decoded across calls) and a non-blocking stdin. */
    static final class StreamConsole implements Console {
        private final PrintWriter out;
        private final InputStream in;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private final ByteBuffer pending = ByteBuffer.allocate(8192);
        private final CharBuffer chars = CharBuffer.allocate(8192);

        StreamConsole(PrintWriter out, InputStream in) {
            this.out = out;
            this.in = in;
        }

        @Override
        public void write(int b) {
            pending.put((byte) b);
            if (b == '\n' || !pending.hasRemaining()) {
                drain(false);
            }
        }

        private void drain(boolean end) {
            pending.flip();
            decoder.decode(pending, chars, end);
            pending.compact();
            chars.flip();
            out.append(chars);
            chars.clear();
            if (end || pending.position() > 16) {
                pending.clear(); // undecodable garbage: drop it rather than stall the console
            }
        }

        @Override
        public int read() {
            try {
                return in.available() > 0 ? in.read() : -1;
            } catch (IOException e) {
                return -1;
            }
        }

        @Override
        public void flush() {
            drain(false);
            out.flush();
        }
    }
}
