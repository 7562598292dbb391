package dev.vmtree.cli;

import dev.vmtree.dom0.Durations;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Client;
import dev.vmtree.dom0.service.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree attach}: this terminal (or an input file) on a background instance's console. */
@Command(name = "attach", mixinStandardHelpOptions = true,
        description = {"Connect this terminal to a background instance's console: its output from now on (earlier"
                + " output: `vmtree logs`), and every key to the guest but the detach key, " + TerminalConsole.DETACH_NAME
                + ", which leaves the instance running.",
            "Several viewers may attach at once; all see the same output; one types at a time: the first that attached"
                + " asking to type (the others are told they only watch, and the next in line types when it leaves)."
                + " --read-only never types.",
            "With --input FILE (or '-' for standard input, as when standard input is not a terminal) the bytes are"
                + " typed in, and the command detaches once the input has ended and the guest has printed nothing for"
                + " --idle of wall-clock time.",
            "Ends with status 0 when detached or when the instance's run ends (the line says how)."},
        footer = {"", "Examples:", "  vmtree attach", "  vmtree attach -i web --read-only",
            "  vmtree attach -i kv --input script.txt --idle 1s"})
public final class AttachCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = "--input", paramLabel = "FILE|-", description = "Type the bytes of FILE ('-': standard input), then"
            + " detach when the guest goes quiet.")
    String input;

    @Option(names = "--idle", paramLabel = "DURATION", defaultValue = "2s",
            description = "With --input: detach once the input has ended and the guest printed nothing for this long"
                    + " (wall-clock time; default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(names = "--read-only", description = "Watch only: never type.")
    boolean readOnly;

    @Override
    public Integer call() throws IOException {
        Duration quiet = Durations.parse(idle);
        boolean terminal = input == null && Tty.interactive();
        InputStream in = input == null || input.equals("-") ? System.in
                : MachineValues.openStream("--input", Path.of(input));
        PrintWriter out = Dom0Cli.out(spec);
        PrintWriter err = spec.commandLine().getErr();
        try (Toolstack ts = Dom0Cli.open(spec)) {
            String name = Background.instanceName(ts, instance);
            try (Dom0Client c = BackgroundCommands.daemonRunning(ts, name)) {
                c.send(Json.object("op", "attach", "instance", name, "input", !readOnly));
                AtomicLong lastOutput = new AtomicLong(System.nanoTime());
                Utf8Stream screen = new Utf8Stream(out);
                String[] ended = {null};
                Tty tty = terminal ? Tty.raw() : null;
                try {
                    if (terminal && !Dom0Cli.quiet(spec)) {
                        err.println("vmtree: attached to " + name + " (" + TerminalConsole.DETACH_NAME + " detaches)\r");
                        err.flush();
                    }
                    Thread typist = null;
                    if (!readOnly || terminal) {
                        typist = Thread.ofPlatform().daemon().name("attach input").start(() ->
                                type(c, in, terminal, !readOnly, quiet, lastOutput));
                    } else if (!terminal) {
                        typist = Thread.ofPlatform().daemon().name("attach idle").start(() ->
                                detachWhenQuiet(c, quiet, lastOutput));
                    }
                    c.reply(e -> {
                        switch (String.valueOf(e.get("event"))) {
                            case "output" -> {
                                screen.write(Base64.getDecoder().decode((String) e.get("data")));
                                lastOutput.set(System.nanoTime());
                            }
                            case "notice" -> {
                                err.println("vmtree: " + e.get("text") + (terminal ? "\r" : ""));
                                err.flush();
                            }
                            case "typing" -> {
                                err.println("vmtree: you type on " + name + "'s console now" + (terminal ? "\r" : ""));
                                err.flush();
                            }
                            case "ended", "dropped" -> {
                                ended[0] = e.containsKey("why") ? String.valueOf(e.get("why")) : "ended";
                                c.send(Json.object("op", "detach"));
                            }
                            default -> { }
                        }
                    });
                    if (typist != null) {
                        typist.interrupt();
                    }
                } finally {
                    screen.finish();
                    if (tty != null) {
                        tty.close();
                    }
                }
                if (!Dom0Cli.quiet(spec)) {
                    err.println((terminal ? "\r\n" : "") + "vmtree: " + (ended[0] == null ? "detached from " + name
                            : name + "'s run ended: " + ended[0]));
                }
                return ExitCodes.OK;
            }
        } finally {
            if (in != System.in) {
                in.close();
            }
        }
    }

    /** Types what {@code in} gives; on a terminal the detach key detaches, else the end of input and quiet do. */
    private static void type(Dom0Client c, InputStream in, boolean terminal, boolean send, Duration quiet,
                             AtomicLong lastOutput) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                int len = n;
                boolean detach = false;
                if (terminal) {
                    for (int i = 0; i < n; i++) {
                        if ((buf[i] & 0xff) == TerminalConsole.DETACH) {
                            len = i;
                            detach = true;
                            break;
                        }
                    }
                }
                if (len > 0 && send) {
                    c.send(Json.object("op", "input", "data", Base64.getEncoder().encodeToString(Arrays.copyOf(buf, len))));
                }
                if (detach) {
                    c.send(Json.object("op", "detach"));
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the connection or the input went: detach below
        }
        if (terminal) {
            try {
                c.send(Json.object("op", "detach"));
            } catch (RuntimeException ignored) {
                // gone already
            }
            return;
        }
        lastOutput.set(Math.max(lastOutput.get(), System.nanoTime()));
        detachWhenQuiet(c, quiet, lastOutput);
    }

    private static void detachWhenQuiet(Dom0Client c, Duration quiet, AtomicLong lastOutput) {
        try {
            while (System.nanoTime() - lastOutput.get() < quiet.toNanos()) {
                Thread.sleep(Math.max(1, (quiet.toNanos() - (System.nanoTime() - lastOutput.get())) / 1_000_000));
            }
            c.send(Json.object("op", "detach"));
        } catch (InterruptedException | RuntimeException e) {
            // ended otherwise
        }
    }

}
