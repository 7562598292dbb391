package dev.vmtree.fuzz;

import dev.vmtree.cli.VmtreeCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code vmtree exec ...} in-process through the real command line and returns its exit
 * status and everything it printed. Picocli's writers are captured, and so are System.out/System.in
 * for the duration, in case the guest console is wired to the process streams; stdin is empty.
 * Serialised on a lock because those streams are process-wide.
 */
final class VmtreeExec {
    private VmtreeExec() {}

    record Result(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static final Object LOCK = new Object();

    static Result exec(String... args) {
        List<String> line = new ArrayList<>(List.of("exec"));
        line.addAll(List.of(args));
        synchronized (LOCK) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            ByteArrayOutputStream rawOut = new ByteArrayOutputStream();
            PrintStream savedOut = System.out;
            InputStream savedIn = System.in;
            int code;
            try {
                System.setOut(new PrintStream(rawOut, true, StandardCharsets.UTF_8));
                System.setIn(new ByteArrayInputStream(new byte[0]));
                var cl = VmtreeCommand.commandLine();
                cl.setOut(new PrintWriter(out, true));
                cl.setErr(new PrintWriter(err, true));
                code = cl.execute(line.toArray(String[]::new));
            } finally {
                System.setOut(savedOut);
                System.setIn(savedIn);
            }
            return new Result(code, rawOut.toString(StandardCharsets.UTF_8) + out, err.toString());
        }
    }
}
