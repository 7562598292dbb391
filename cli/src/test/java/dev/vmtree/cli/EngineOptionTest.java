package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --engine} on exec, run, replay, bisect and debug, and {@code core.engine} as its default:
 * each command's machines run under the engine it names (with --debug the command says which, and
 * what chose it), a word that names no engine is a usage error, and the engine changes neither the
 * guest's output nor the state it reaches.
 *
 * <p>The key-value guest is committed three times: {@code set a 5}, {@code set b 7}, {@code sum}.
 */
class EngineOptionTest {
    @TempDir
    static Path dir;

    static Dom0Fixture f;
    static Path hello;
    static final String BAD = "vmtree: --engine: unknown engine 'turbo' (choose interpreter, translator or eager)";

    @BeforeAll
    static void threeSnapshotsOfTheKeyValueGuest() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        hello = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");
        f = new Dom0Fixture(dir).init();
        f.vm("create", "kv", "--image", "kvshell").ok();
        for (String input : List.of("set a 5\n", "set b 7\n", "sum\n")) {
            f.runWith(input);
            f.vm("commit", "-m", input.trim()).ok();
        }
    }

    @AfterAll
    static void forget() {
        System.clearProperty("vmtree.home");
        System.clearProperty("vmtree.config.home");
    }

    /** {@code vmtree -C REPO args...} with an empty standard input (exec reads it as the guest asks). */
    static synchronized Dom0Fixture.Result vm(String... args) {
        java.io.InputStream saved = System.in;
        System.setIn(new java.io.ByteArrayInputStream(new byte[0]));
        try {
            return f.vm(args);
        } finally {
            System.setIn(saved);
        }
    }

    static Path input(String text) throws Exception {
        return Files.writeString(Files.createTempFile(dir, "input", ".txt"), text);
    }

    /** Starts `vmtree debug`, connects to the address it prints and hangs up: its stderr. */
    static String debugOnce(String... args) throws Exception {
        Dom0Fixture.Started s = f.start(args);
        String first = s.out().readLine();
        assertThat(first).as("the address line").startsWith("gdb: target remote 127.0.0.1:");
        try (Socket c = new Socket("127.0.0.1", Integer.parseInt(first.replaceAll(".*:", "")))) {
            c.getOutputStream().flush();
        }
        return s.done().get(60, TimeUnit.SECONDS).ok().err();
    }

    static String said(String engine, String source) {
        return "vmtree: engine " + engine + " (from " + source + ")";
    }

    @Test
    void everyCommandRunsUnderTheEngineItIsGivenAndSaysSoWithDebug() throws Exception {
        for (String engine : List.of("eager", "translator", "interpreter")) {
            String line = said(engine, "--engine");
            Dom0Fixture.Result exec = vm("--debug", "exec", "--engine", engine, hello.toString()).ok();
            assertThat(exec.out()).contains("Hello from a vmtree guest");
            assertThat(exec.err()).contains(line);
            assertThat(vm("--debug", "replay", "kv", "--verify", "--engine", engine).ok().err()).contains(line);
            assertThat(vm("--debug", "bisect", "kv~2", "kv", "--run", "console contains sum 12", "--engine", engine)
                    .ok().err()).contains(line);
            assertThat(debugOnce("--debug", "debug", "kv", "--gdb", "127.0.0.1:0", "--engine", engine)).contains(line);
        }
        f.vm("instance", "add", "probe", "kv").ok();
        Dom0Fixture.Result run = vm("--debug", "run", "-i", "probe", "--engine", "eager", "--input", input("list\n").toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("a = 5").contains("b = 7");
        assertThat(run.err()).contains(said("eager", "--engine"));
        assertThat(vm("run", "-i", "probe", "--engine", "eager", "--max-instructions", "0").err())
                .as("without --debug, not a word").doesNotContain("engine");
        f.vm("instance", "remove", "--force", "probe").ok();
    }

    @Test
    void aWordThatNamesNoEngineIsAOneLineUsageError() {
        for (List<String> args : List.of(
                List.of("exec", "--engine", "turbo", hello.toString()),
                List.of("run", "--engine", "turbo", "--max-instructions", "0"),
                List.of("replay", "kv", "--engine", "turbo"),
                List.of("bisect", "kv~2", "kv", "--run", "console contains sum", "--engine", "turbo"),
                List.of("debug", "kv", "--gdb", "127.0.0.1:0", "--engine", "turbo"),
                List.of("bench", "core", "--no-qemu", "--engine", "interpreter,turbo"))) {
            Dom0Fixture.Result r = vm(args.toArray(String[]::new));
            assertThat(r.exit()).as("%s: %s", args, r.err()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err().lines().toList()).as("%s", args).hasSize(2).first().isEqualTo(BAD);
            assertThat(r.err().lines().toList().get(1)).startsWith("usage: vmtree " + String.join(" ",
                    args.subList(0, args.getFirst().equals("bench") ? 2 : 1)));
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void coreEngineIsTheDefaultAFlagOverridesItAndABadValueIsRefused() throws Exception {
        Dom0Fixture.Result refused = f.vm("config", "core.engine", "turbo");
        assertThat(refused.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).startsWith("vmtree: core.engine: unknown engine 'turbo' (choose interpreter,"
                + " translator or eager)");
        assertThat(f.vm("config", "core.engine").exit()).as("nothing was set").isEqualTo(1);
        try {
            f.vm("config", "core.engine", "translator").ok();
            assertThat(vm("--debug", "exec", hello.toString()).ok().err()).contains(said("translator", "core.engine"));
            assertThat(vm("--debug", "replay", "kv", "--verify").ok().err()).contains(said("translator", "core.engine"));
            assertThat(vm("--debug", "replay", "kv", "--verify", "--engine", "eager").ok().err())
                    .contains(said("eager", "--engine")).doesNotContain("core.engine");

            Files.writeString(f.repo.resolve(".vmtree/config"), "[core]\n\tengine = turbo\n");   // by hand
            Dom0Fixture.Result r = vm("replay", "kv", "--verify");
            assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).startsWith("vmtree: configuration core.engine: unknown engine 'turbo' (choose"
                    + " interpreter, translator or eager); set it with `vmtree config core.engine ENGINE`, or give --engine");
            assertThat(vm("exec", hello.toString()).exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(vm("replay", "kv", "--verify", "--engine", "eager").exit()).as("the flag wins").isZero();
            Dom0Fixture.Result fsck = f.vm("fsck");
            assertThat(fsck.exit()).isEqualTo(1);
            assertThat(fsck.out() + fsck.err()).contains("configuration core.engine = 'turbo' is refused");
        } finally {
            f.vm("config", "--unset", "core.engine");
        }
        assertThat(vm("--debug", "exec", hello.toString()).ok().err()).doesNotContain("core.engine");
    }

    private static final Pattern STATE = Pattern.compile("; state ([0-9a-f]+)");

    @Test
    void theEngineChangesNeitherTheOutputNorTheState() throws Exception {
        Dom0Fixture.Result a = vm("exec", "--engine", "eager", hello.toString());
        Dom0Fixture.Result b = vm("exec", "--engine", "interpreter", hello.toString());
        assertThat(a.exit()).isZero().isEqualTo(b.exit());
        assertThat(a.out()).contains("Hello from a vmtree guest").isEqualTo(b.out());

        // the same run of the same instance from the same snapshot, once under each engine (instance kv:
        // an added instance would get a generation ID at its first run only)
        Path in = input("set c 30\nsum\nlist\n");
        String[] out = new String[2], state = new String[2], shown = new String[2];
        String[] engines = {"eager", "interpreter"};
        try {
            for (int i = 0; i < 2; i++) {
                f.vm("checkout", "--discard", "kv").ok();
                Dom0Fixture.Result r = vm("run", "-i", "kv", "--engine", engines[i], "--input", in.toString()).ok();
                out[i] = r.out();
                Matcher m = STATE.matcher(r.err());
                assertThat(m.find()).as(r.err()).isTrue();
                state[i] = m.group(1);
                shown[i] = f.vm("show", "-i", "kv").ok().out();
            }
            assertThat(Files.readString(f.repo.resolve(".vmtree/instances/kv"))).doesNotContain("engine")
                    .doesNotContain("interpreter").doesNotContain("eager");
        } finally {
            f.vm("checkout", "--discard", "kv").ok();
        }
        assertThat(out[0]).contains("sum 42 over 3 numeric values").isEqualTo(out[1]);
        assertThat(state[0]).isEqualTo(state[1]);
        assertThat(shown[0]).as("show, StateId included").isEqualTo(shown[1]).doesNotContain("eager");

        // a snapshot made under the interpreter replays to its StateId under every engine, and bisects alike
        String expected = null, found = null;
        for (String engine : List.of("interpreter", "translator", "eager")) {
            String json = vm("--json", "replay", "kv", "--verify", "--engine", engine).ok().out();
            assertThat(Dom0Fixture.field(json, "verified")).as(engine).isEqualTo("true");
            expected = expected == null ? Dom0Fixture.field(json, "actual") : expected;
            assertThat(Dom0Fixture.field(json, "actual")).isEqualTo(expected);
            String bisect = vm("bisect", "kv~2", "kv", "--run", "console contains sum 12", "--engine", engine).ok().out();
            found = found == null ? bisect : found;
            assertThat(bisect).as(engine).contains("first moment: instruction").isEqualTo(found);
        }
    }
}
