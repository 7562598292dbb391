package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/**
 * Issue 15, "Done when" 2: the lost-update race, between processes. Two worker JVMs (each runs vmtree
 * commands it is sent, exactly as {@code bin/vmtree} does, so the instance lock between them is the OS
 * file lock) are started once; then, round after round, one does {@code mem write} of a value new to
 * that round while the other does {@code commit}, {@code checkout} (of another branch and back) or
 * {@code rollback}, both sent at once with a random head start of either. After every round: a write
 * that said OK is where the instance stands (and, when it went in before the commit it raced, in that
 * commit); a write that did not is refused with one line saying the instance is held (status 6), and its
 * value is nowhere. Never OK and gone. Before instance sessions the move overwrote the record from its
 * earlier read and the write was lost; a move that skipped only the lock would be caught by the
 * session's compare-and-swap (status 1, "changed by another process"), which this test refuses too.
 */
class InstanceRaceTest {
    static final long ADDRESS = 0x8000_2000L;
    static final long OTHER = 0x8000_3000L;
    static final int ROUNDS = 20;

    @TempDir
    Path dir;

    Dom0Fixture f;
    String a;
    String b;
    Worker writer;
    Worker mover;

    @BeforeEach
    void setUp() throws IOException {
        f = new Dom0Fixture(dir).init();
        a = f.snapshot(null, "main", "a").hex();
        b = f.snapshot(new dev.vmtree.store.SnapshotId(a), "main", "b").hex();
        f.snapshot(new dev.vmtree.store.SnapshotId(a), "other", "c");
        f.vm("instance", "add", "vm1", "main").ok();
        writer = new Worker(dir);
        mover = new Worker(dir);
        // warm both up (class loading, the first machine) so that the rounds' commands overlap
        writer.send(0, vm("mem", "read", "0x80000000", "16"));
        mover.send(0, vm("status"));
        assertThat(writer.result().exit()).isZero();
        assertThat(mover.result().exit()).isZero();
    }

    @AfterEach
    void stopWorkers() {
        for (Worker w : new Worker[] {writer, mover}) {
            if (w != null) {
                w.close();
            }
        }
    }

    enum Move { COMMIT, CHECKOUT, ROLLBACK }

    @ParameterizedTest
    @EnumSource(Move.class)
    void aMemWriteRacingACommitCheckoutOrRollbackIsKeptOrRefusedNeverLost(Move move) {
        SplittableRandom rnd = new SplittableRandom(move.ordinal());
        int kept = 0;
        int refused = 0;
        for (int round = 0; round < ROUNDS; round++) {
            String value = String.format("%08x", 0x5a5a0000 + round * 16 + move.ordinal());
            if (move == Move.COMMIT) {
                f.vm("mem", "write", hex(OTHER), String.format("%08x", round + 1)).ok();   // something to commit
            }
            int writeDelay = rnd.nextInt(60);
            int moveDelay = rnd.nextInt(60);
            writer.send(writeDelay, vm("mem", "write", hex(ADDRESS), value));
            switch (move) {
                case COMMIT -> mover.send(moveDelay, vm("--json", "commit", "-m", "round " + round));
                case CHECKOUT -> mover.send(moveDelay, vm("checkout", "other"), vm("checkout", "main"));
                case ROLLBACK -> mover.send(moveDelay, vm("rollback"));
            }
            Worker.Result wrote = writer.result();
            List<Worker.Result> moved = mover.results();
            String where = "round " + round + ": mem write " + wrote + " against " + moved;
            if (wrote.exit() == ExitCodes.OK) {
                kept++;
                assertThat(memRead(null)).as("a mem write that said OK is where vm1 stands; " + where).isEqualTo(value);
                Worker.Result commit = moved.getFirst();
                if (move == Move.COMMIT && commit.exit() == ExitCodes.OK && !dirty()) {
                    assertThat(memRead(Dom0Fixture.field(commit.out(), "snapshot")))
                            .as("vm1 is clean: the write went into the commit it raced; " + where).isEqualTo(value);
                }
            } else {
                refused++;
                assertThat(error(wrote)).as(where).hasSize(1);
                // refused because the move held vm1 (status 6), not caught by the compare-and-swap afterwards
                // (status 1, "changed by another process"): that would mean the move wrote without the lock
                assertThat(wrote.exit()).as(where).isEqualTo(ExitCodes.LOCKED);
                assertThat(error(wrote).getFirst()).as(where).matches("vmtree: instance vm1 is busy in process [0-9]+ \\("
                        + (move == Move.COMMIT ? "commit" : move == Move.CHECKOUT ? "checkout" : "rollback")
                        + "\\); run the command again when that is done");
                assertThat(memRead(null)).as("a refused write left nothing; " + where).isNotEqualTo(value);
            }
            for (Worker.Result r : moved) {
                assertThat(r.exit()).as(where).isIn(ExitCodes.OK, ExitCodes.DIRTY, ExitCodes.LOCKED);
                if (r.exit() != ExitCodes.OK) {
                    assertThat(error(r)).as(where).hasSize(1);
                }
            }
            reset(move);
        }
        System.out.printf("InstanceRaceTest %s: %d writes kept, %d refused in %d rounds%n", move, kept, refused, ROUNDS);
        f.vm("fsck").ok();
    }

    /** What a failed command said, without its notices that it waited for the repository lock: one line. */
    private static List<String> error(Worker.Result r) {
        return r.err().lines().filter(l -> !l.startsWith("vmtree: waiting for lock held by")).toList();
    }

    /** Back to the start of a round: vm1 clean on main at b (a commit round keeps its history). */
    private void reset(Move move) {
        switch (move) {
            case COMMIT -> { }
            case CHECKOUT -> f.vm("checkout", "--discard", "main").ok();
            case ROLLBACK -> f.vm("rollback", "--discard", b).ok();
        }
    }

    private String[] vm(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-C";
        all[1] = f.repo.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return all;
    }

    /** The 4 bytes at {@link #ADDRESS} where vm1 stands (null) or in snapshot {@code rev}, as hex. */
    private String memRead(String rev) {
        List<String> args = new ArrayList<>(List.of("--json", "mem", "read", "-i", "vm1"));
        args.add(rev == null ? "." : rev);
        args.addAll(List.of(hex(ADDRESS), "4"));
        return Dom0Fixture.field(f.vm(args.toArray(String[]::new)).ok().out(), "hex");
    }

    private boolean dirty() {
        return Boolean.parseBoolean(Dom0Fixture.field(f.vm("--json", "status").ok().out(), "dirty"));
    }

    private static String hex(long address) {
        return "0x" + Long.toHexString(address);
    }

    /**
     * A JVM that runs the vmtree command lines it reads (one a line, tab-separated, after a delay in
     * milliseconds; several commands separated by a NUL field run one after the other) and answers each
     * with a line "RESULT exit base64(stdout) base64(stderr)".
     */
    static final class Worker implements AutoCloseable {
        record Result(int exit, String out, String err) {
            @Override
            public String toString() {
                return "(status " + exit + ": " + (out + err).strip().replace('\n', '|') + ")";
            }
        }

        private final Process process;
        private final PrintWriter in;
        private final BufferedReader out;
        private int pending;

        Worker(Path dir) throws IOException {
            List<String> cmd = new ArrayList<>(ExecConsoleTest.vmtree());
            cmd.remove(Main.class.getName());
            cmd.add(1, "-Dvmtree.config.home=" + dir.resolve("config-home"));
            cmd.add(1, "--enable-native-access=ALL-UNNAMED");
            cmd.add(Worker.class.getName());
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Sends commands to run one after the other, after {@code delayMillis}. */
        void send(int delayMillis, String[]... commands) {
            StringBuilder line = new StringBuilder(Integer.toString(delayMillis));
            for (String[] c : commands) {
                line.append("\t\0");
                for (String arg : c) {
                    line.append('\t').append(arg);
                }
            }
            pending = commands.length;
            in.println(line);
        }

        /** Every result of the last {@link #send}. */
        List<Result> results() {
            List<Result> all = new ArrayList<>();
            for (int n = pending; n > 0; n--) {
                all.add(next());
            }
            pending = 0;
            return all;
        }

        Result result() {
            return results().getFirst();
        }

        private Result next() {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("RESULT ")) {
                        String[] f = line.split(" ", -1);
                        Base64.Decoder d = Base64.getDecoder();
                        return new Result(Integer.parseInt(f[1]), new String(d.decode(f[2]), StandardCharsets.UTF_8),
                                new String(d.decode(f[3]), StandardCharsets.UTF_8));
                    }
                }
                throw new AssertionError("worker ended: status " + process.waitFor());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        @Override
        public void close() {
            in.close();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        public static void main(String[] args) throws Exception {
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            PrintWriter results = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
            for (String line; (line = commands.readLine()) != null; ) {
                String[] f = line.split("\t\0", -1);
                Thread.sleep(Integer.parseInt(f[0]));
                for (int i = 1; i < f.length; i++) {
                    String[] argv = f[i].substring(1).split("\t", -1);
                    StringWriter o = new StringWriter();
                    StringWriter e = new StringWriter();
                    CommandLine cl = VmtreeCommand.commandLine();
                    cl.setOut(new PrintWriter(o, true));
                    cl.setErr(new PrintWriter(e, true));
                    int exit = cl.execute(argv);
                    Base64.Encoder b64 = Base64.getEncoder();
                    results.println("RESULT " + exit + " " + b64.encodeToString(o.toString().getBytes(StandardCharsets.UTF_8))
                            + " " + b64.encodeToString(e.toString().getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
    }
}
