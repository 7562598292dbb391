package dev.vmtree.cli;


import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.loader.LoadException;
import dev.vmtree.dom0.Sizes;
import dev.vmtree.dom0.ToolstackException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
            "2:usage error",
            "3:the instruction budget (--max-instructions) ran out",
            "4:vmtree could not run the program (unreadable or malformed file, memory too small, ...)"
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

    @Option(names = "--max-instructions", paramLabel = "N", defaultValue = "-1",
            description = "Stop with status 3 after N instructions of the global clock (default: no limit).")
    long maxInstructions;

    @Parameters(paramLabel = "PROGRAM", description = "The program: an ELF64 RISC-V executable or a raw binary.")
    Path program;

    @Override
    public Integer call() {
        long memBytes = parseSize(memory);
        if (harts < 1 || harts > MachineConfig.MAX_HARTS) {
            throw new CliException(2, "--harts must be between 1 and " + MachineConfig.MAX_HARTS + ": " + harts);
        }
        boolean mMode = machineMode || firmware != null;
        MachineConfig config;
        try {
            config = new MachineConfig(memBytes, harts, mMode, append);
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
        } catch (LoadException e) {
            throw new CliException(EXIT_CANNOT_RUN, e.getMessage());
        }
        RunResult result = machine.run(maxInstructions < 0 ? -1 : maxInstructions);
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
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CliException(EXIT_CANNOT_RUN, "cannot read " + what + " " + file + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw new CliException(EXIT_CANNOT_RUN, "cannot read " + what + " " + file + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** Parses a RAM size with the toolstack's size syntax (4096, 512K, 128M, 1G); zero is not a size here. */
    static long parseSize(String s) {
        try {
            long n = Sizes.parse(s);
            if (n > 0) {
                return n;
            }
        } catch (ToolstackException e) {
            throw new CliException(2, "--memory: " + e.getMessage());
        }
        throw new CliException(2, "--memory: the machine needs some memory: " + s);
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
