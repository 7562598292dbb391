package dev.vmtree.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.dom0.service.Json;
import picocli.CommandLine;

/**
 * The daemon's side of a short command (docs/dom0-protocol.md, "op cli"): runs a client's
 * {@code vmtree} command line in this JVM, for the client's directory, environment and terminal,
 * and returns what {@link Main#run} would: the same output, the same exit status.
 * {@link #handle} serves only {@link #forwardable} command lines. Thread-safe: every call builds its own command
 * line, root command and writers; commands keep no static state, and the instance and writer
 * locks they take are settled between threads of one JVM (InstanceLock, the store's WriterLock).
 */
public final class ForwardedCommand {
    /** Where a reply's lines go: the daemon's connection ({@code Wire::send}), or a stream. */
    public interface Replies {
        void send(Map<String, Object> message) throws IOException;
    }

    private ForwardedCommand() {}

    /** True when {@code argv} (without the program name) is read-only and may run here; see {@link Forwardable}. */
    public static boolean forwardable(List<String> argv) {
        return Forwardable.forwardable(argv);
    }

    /** Runs {@code argv} as a client in {@code cwd} with {@code env} would, without a terminal, UTF-8 output. */
    public static int run(List<String> argv, Path cwd, Map<String, String> env, OutputStream out, OutputStream err) {
        return run(argv, cwd, env, false, StandardCharsets.UTF_8, out, err);
    }

    /**
     * Runs {@code argv} for a client: -C and the repository search start at {@code cwd}, VMTREE_DEBUG
     * comes from {@code env}, progress lines only when {@code interactive}; output is encoded in
     * {@code charset} (the client's stdout.encoding). Returns the exit status.
     */
    public static int run(List<String> argv, Path cwd, Map<String, String> env, boolean interactive, Charset charset,
                          OutputStream out, OutputStream err) {
        String[] args = argv.toArray(String[]::new);
        CommandLine cl = VmtreeCommand.commandLine(new VmtreeCommand.Invocation(cwd.toAbsolutePath(), Map.copyOf(env),
                interactive), args);
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, charset), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, charset), true);
        cl.setOut(o);
        cl.setErr(e);
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError oom) {
            e.println(Main.outOfMemory());
            return ExitCodes.CANNOT_RUN;
        } finally {
            o.flush();
            e.flush();
        }
    }

    /**
     * Serves one "cli" request (already parsed) on {@code replies}: stdout and stderr events as the
     * command writes, then the final {@code {"ok":true,"exit":N}}; or one refusal,
     * {@code {"ok":false,"kind":K,"status":N,"error":...}}, when it does not run: BAD_INPUT for a
     * malformed request, CANNOT_RUN for a command line that is not forwardable or a client whose
     * build or configuration differs from this JVM's (the client then runs it itself). An I/O
     * error on {@code replies} (the client went away) is thrown once the command is done.
     */
    public static void handle(Map<String, Object> request, Replies replies) throws IOException {
        Lines lines = new Lines(replies);
        Request r;
        try {
            r = Request.of(request);
        } catch (IllegalArgumentException e) {
            lines.refuse(ToolstackException.Kind.BAD_INPUT, e.getMessage());
            return;
        }
        if (!forwardable(r.argv())) {
            lines.refuse(ToolstackException.Kind.CANNOT_RUN, "not a command the daemon runs for clients: vmtree "
                    + String.join(" ", r.argv()));
            return;
        }
        String mismatch = mismatch(r);
        if (mismatch != null) {
            lines.refuse(ToolstackException.Kind.CANNOT_RUN, mismatch);
            return;
        }
        int exit;
        try (Events out = new Events(lines, "stdout"); Events err = new Events(lines, "stderr")) {
            exit = run(r.argv(), r.cwd(), r.env(), r.tty(), r.charset(), out, err);
        }
        lines.write(Json.object("ok", true, "exit", (long) exit));
        lines.rethrow();
    }

    /** As {@link #handle(Map, Replies)}, each reply a line on {@code reply}. */
    public static void handle(Map<String, Object> request, OutputStream reply) throws IOException {
        handle(request, linesOn(reply));
    }

    private static Replies linesOn(OutputStream reply) {
        return m -> {
            reply.write(Json.write(m).concat("\n").getBytes(StandardCharsets.UTF_8));
            reply.flush();
        };
    }

    /**
     * Serves one connection that carries one request (as AotTraining's and the tests' servers do;
     * the daemon reads requests itself and hands "cli" ones to {@link #handle}): reads its line,
     * answers a "cli" request, refuses anything else, then returns (the caller closes).
     */
    static void serveConnection(java.nio.channels.ByteChannel ch) throws IOException {
        OutputStream reply = java.nio.channels.Channels.newOutputStream(ch);
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(java.nio.channels.Channels.newInputStream(ch),
                StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            return;
        }
        Map<String, Object> request;
        try {
            request = Json.parseObject(line);
        } catch (IllegalArgumentException e) {
            new Lines(linesOn(reply)).refuse(ToolstackException.Kind.BAD_INPUT, "bad request: " + e.getMessage());
            return;
        }
        if (!Long.valueOf(1).equals(request.get("v")) || !"cli".equals(request.get("op"))) {
            new Lines(linesOn(reply)).refuse(ToolstackException.Kind.BAD_INPUT,
                    "this server answers {\"v\":1,\"op\":\"cli\"} only");
            return;
        }
        handle(request, reply);
    }

    /** Why this JVM would not give the client what its own would, or null. */
    private static String mismatch(Request r) {
        if (r.build() != null && !r.build().equals(Forwardable.build())) {
            return "the daemon runs another vmtree build (" + Forwardable.build() + ", the client is " + r.build() + ")";
        }
        for (String k : Forwardable.CONTEXT) {
            if (!Objects.equals(r.env().get(k), System.getenv(k))) {
                return "the daemon was started with another " + k + " than the client has";
            }
        }
        return null;
    }

    /** A "cli" request's fields. */
    private record Request(List<String> argv, Path cwd, Map<String, String> env, boolean tty, Charset charset,
                           String build) {
        static Request of(Map<String, Object> m) {
            if (!(m.get("argv") instanceof List<?> a)) {
                throw new IllegalArgumentException("argv: a list of strings expected");
            }
            List<String> argv = new ArrayList<>();
            for (Object o : a) {
                if (!(o instanceof String s)) {
                    throw new IllegalArgumentException("argv: a list of strings expected");
                }
                argv.add(s);
            }
            if (!(m.get("cwd") instanceof String cwd) || !Path.of(cwd).isAbsolute()) {
                throw new IllegalArgumentException("cwd: an absolute directory expected");
            }
            Map<String, String> env = new LinkedHashMap<>();
            if (m.get("env") instanceof Map<?, ?> e) {
                for (var x : e.entrySet()) {
                    if (!(x.getValue() instanceof String v)) {
                        throw new IllegalArgumentException("env: string values expected");
                    }
                    env.put((String) x.getKey(), v);
                }
            } else if (m.get("env") != null) {
                throw new IllegalArgumentException("env: an object expected");
            }
            Charset cs = StandardCharsets.UTF_8;
            if (m.get("encoding") instanceof String name) {
                try {
                    cs = Charset.forName(name);
                } catch (RuntimeException x) {
                    throw new IllegalArgumentException("encoding: unknown charset " + name);
                }
            }
            return new Request(List.copyOf(argv), Path.of(cwd), env, Boolean.TRUE.equals(m.get("tty")), cs,
                    m.get("build") instanceof String b ? b : null);
        }
    }

    /** The reply: whole JSON lines, one writer at a time; the first I/O error is kept, later writes dropped. */
    private static final class Lines {
        private final Replies replies;
        private IOException failed;

        Lines(Replies replies) {
            this.replies = replies;
        }

        synchronized void write(Map<String, Object> message) {
            if (failed != null) {
                return;     // the client is gone: let the command finish, say so at the end
            }
            try {
                replies.send(message);
            } catch (IOException e) {
                failed = e;
            }
        }

        void refuse(ToolstackException.Kind kind, String error) throws IOException {
            write(Json.object("ok", false, "kind", kind.name(), "status", (long) ExitCodes.of(kind),
                    "error", error.replace('\n', ' ')));
            rethrow();
        }

        synchronized void rethrow() throws IOException {
            if (failed != null) {
                throw failed;
            }
        }
    }

    /** One of the command's streams: every flush (picocli's writers flush each line) is one event. */
    private static final class Events extends OutputStream {
        private static final int MAX = 48 << 10;
        private final Lines lines;
        private final String name;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        Events(Lines lines, String name) {
            this.lines = lines;
            this.name = name;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
            if (pending.size() >= MAX) {
                flush();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
            if (pending.size() >= MAX) {
                flush();
            }
        }

        @Override
        public synchronized void flush() {
            if (pending.size() == 0) {
                return;
            }
            String data = Base64.getEncoder().encodeToString(pending.toByteArray());
            pending.reset();
            lines.write(Json.object("event", name, "data", data));
        }

        @Override
        public void close() {
            flush();
        }
    }
}
