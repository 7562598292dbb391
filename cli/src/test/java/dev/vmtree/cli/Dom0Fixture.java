package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.dom0.rv64.CoreDriver;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * A temporary repository driven in-process through the real command line, plus a way to make
 * snapshots of a small machine directly in the store, quicker than `create` and `commit` would.
 * The global configuration lives in the test's directory (system property vmtree.config.home).
 */
final class Dom0Fixture {
    record Result(int exit, String out, String err) {
        Result ok() {
            assertThat(exit).as("exit status; stderr: %s", err).isZero();
            return this;
        }
    }

    final Path dir;
    final Path repo;

    Dom0Fixture(Path dir) {
        this.dir = dir;
        this.repo = dir.resolve("repo");
        System.setProperty("vmtree.config.home", dir.resolve("config-home").toString());
    }

    /** Ends this repository's Dom0 daemon, if one runs, and waits until it has. */
    void killDaemon() {
        long pid = dev.vmtree.dom0.service.Dom0Daemon.pidOf(repo);
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
        }
    }

    Dom0Fixture init() {
        run("init", repo.toString()).ok();
        return this;
    }

    /** Runs {@code vmtree -C REPO args...}. */
    Result vm(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-C";
        all[1] = repo.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return run(all);
    }

    /** A command running in the background; {@code out} streams its standard output as it comes. */
    record Started(java.util.concurrent.CompletableFuture<Result> done, java.io.BufferedReader out, StringWriter err) {
        Started(java.util.concurrent.CompletableFuture<Result> done, java.io.BufferedReader out) {
            this(done, out, new StringWriter());
        }

        /** What the command has written to stderr so far. */
        String errSoFar() {
            synchronized (err.getBuffer()) {
                return err.toString();
            }
        }
    }

    /** Starts {@code vmtree -C REPO args...} on another thread (for servers: read their first line, then connect). */
    Started start(String... args) throws java.io.IOException {
        String[] all = new String[args.length + 2];
        all[0] = "-C";
        all[1] = repo.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        java.io.PipedInputStream in = new java.io.PipedInputStream(1 << 16);
        java.io.PipedOutputStream pipe = new java.io.PipedOutputStream(in);
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(pipe, java.nio.charset.StandardCharsets.UTF_8), true);
        StringWriter err = new StringWriter();
        var done = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            CommandLine cl = VmtreeCommand.commandLine(all);
            cl.setOut(out);
            cl.setErr(new PrintWriter(err, true));
            try {
                return new Result(cl.execute(all), "", err.toString());
            } finally {
                out.close();
            }
        });
        return new Started(done, new java.io.BufferedReader(new java.io.InputStreamReader(in,
                java.nio.charset.StandardCharsets.UTF_8)), err);
    }

    /** Runs {@code vmtree args...} as Main does (only the named subcommand's model is built). */
    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine(args);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** Field {@code name} of a compact JSON document (a string's contents, or the literal). */
    static String field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\":(\"[^\"]*\"|null|true|false|[0-9]+)")
                .matcher(json);
        assertThat(m.find()).as("%s in %s", name, json).isTrue();
        String v = m.group(1);
        return v.startsWith("\"") ? v.substring(1, v.length() - 1) : v;
    }

    /** Runs the current instance with {@code input} as its console input (from a file); it must end well. */
    void runWith(String input) throws java.io.IOException {
        Path in = dir.resolve("input-" + System.nanoTime());
        java.nio.file.Files.writeString(in, input);
        vm("run", "--input", in.toString()).ok();
    }

    /**
     * Writes a snapshot of a small machine (the same one each time, plus a file holding {@code message},
     * so snapshots differ) with the given parent (or none) and moves {@code branch} (if not null) to it.
     */
    SnapshotId snapshot(SnapshotId parent, String branch, String message) {
        try (Repository r = Repository.open(repo)) {
            Map<String, byte[]> files = new java.util.HashMap<>(machine(r));
            files.put("message", message.getBytes());
            return write(r, parent, branch, message, new SnapshotContent(files, machineImages));
        }
    }

    /** Writes a snapshot that holds no machine, as `vmtree store put` makes. */
    SnapshotId plainSnapshot(SnapshotId parent, String branch, String message) {
        try (Repository r = Repository.open(repo)) {
            return write(r, parent, branch, message, new SnapshotContent(Map.of("message", message.getBytes()),
                    Map.of("ram", PageTreeRoot.empty(1 << 20, 4096))));
        }
    }

    private Map<String, byte[]> machineFiles;
    private Map<String, PageTreeRoot> machineImages;

    /** The state files of a machine booted once (a raw loop in 4 MiB) and stored in {@code r}. */
    private Map<String, byte[]> machine(Repository r) {
        if (machineFiles == null) {
            try {
                Path program = java.nio.file.Files.write(dir.resolve("fixture-loop.bin"), new byte[] {0x6f, 0, 0, 0});
                var spec = new MachineDriver.MachineSpec(4 << 20, 1, program, MachineDriver.Boot.SUPERVISOR_ELF, null, null,
                        0, null, "");
                WorkingState w;
                try (MachineDriver.LiveMachine m = new CoreDriver().create(spec); WriteTransaction tx = r.beginWrite()) {
                    w = m.persist(tx, 0);
                    tx.flush();
                }
                machineFiles = Map.of(CoreDriver.STATE_FILE, r.chunks().read(w.files().get(CoreDriver.STATE_FILE)),
                        CoreDriver.DEFINITION_FILE, r.chunks().read(w.files().get(CoreDriver.DEFINITION_FILE)));
                machineImages = w.images();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return machineFiles;
    }

    private static SnapshotId write(Repository r, SnapshotId parent, String branch, String message, SnapshotContent content) {
        try (WriteTransaction tx = r.beginWrite()) {
            SnapshotId id = tx.writeSnapshot(parent == null ? List.of() : List.of(parent), content, message);
            if (branch != null) {
                SnapshotId old = r.resolveRef(branch).orElse(null);
                assertThat(tx.updateRef(branch, old, id, "commit: " + message).ok()).isTrue();
            }
            return id;
        }
    }
}
