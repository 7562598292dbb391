package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.InstanceSession;
import dev.vmtree.dom0.Toolstack;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's side of short commands: a forwarded command line prints what the same command line
 * run by vmtree itself prints, for the client's directory and environment, also many at once.
 */
class ForwardedCommandTest {
    @TempDir
    Path dir;

    private Dom0Fixture f;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void repoWithTwoInstances() {
        f = new Dom0Fixture(dir).init();
        var a = f.snapshot(null, "main", "a");
        f.snapshot(a, "main", "b");
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("instance", "add", "vm2", "main~1", "--detach").ok();
        f.vm("mem", "write", "-i", "vm2", "0x80001000", "01").ok();
    }

    private static Run forward(Path cwd, Map<String, String> env, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ForwardedCommand.run(List.of(argv), cwd, env, out, err);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** What `vmtree ARGV` run in {@code cwd} prints when vmtree runs it itself (-C stands for the directory). */
    private static Run local(Path cwd, String... argv) {
        String[] all = new String[argv.length + 2];
        all[0] = "-C";
        all[1] = cwd.toString();
        System.arraycopy(argv, 0, all, 2, argv.length);
        var r = Dom0Fixture.run(all);
        return new Run(r.exit(), r.out(), r.err());
    }

    @Test
    void forwardedShortCommandsPrintWhatVmtreeItselfPrints() throws Exception {
        Path sub = Files.createDirectories(f.repo.resolve("some/sub"));
        List<String[]> lines = List.of(new String[] {"status"}, new String[] {"status", "-i", "vm2"},
                new String[] {"--json", "status"}, new String[] {"branch"}, new String[] {"--json", "branch"},
                new String[] {"log", "--oneline"}, new String[] {"instance", "list"}, new String[] {"tag"},
                new String[] {"reflog"}, new String[] {"show"}, new String[] {"diff", "-i", "vm2", "--stat"},
                new String[] {"status", "-i", "nosuch"}, new String[] {"log", "no-such-ref"});
        for (String[] argv : lines) {
            assertThat(ForwardedCommand.forwardable(List.of(argv))).as(String.join(" ", argv)).isTrue();
            Run here = local(sub, argv);
            assertThat(forward(sub, Map.of(), argv)).as(String.join(" ", argv)).isEqualTo(here);
        }
        assertThat(local(sub, "status").out()).contains("instance vm1 (current)");
        assertThat(local(sub, "status", "-i", "nosuch").exit()).isNotZero();
        // -C relative to the client's directory, not the daemon's
        assertThat(forward(f.dir, Map.of(), "-C", "repo", "branch")).isEqualTo(local(f.repo, "branch"));
        assertThat(forward(f.dir, Map.of(), "branch").err()).contains("not a vmtree repository");
    }

    @Test
    void theClientsEnvironmentDecidesAboutStackTracesNotTheDaemons() {
        Run plain = forward(f.repo, Map.of(), "status", "-i", "nosuch");
        Run debug = forward(f.repo, Map.of("VMTREE_DEBUG", "1"), "status", "-i", "nosuch");
        assertThat(plain.err()).doesNotContain("\tat dev.vmtree");
        assertThat(debug.err()).contains("\tat dev.vmtree").endsWith(plain.err());
        assertThat(debug.exit()).isEqualTo(plain.exit()).isNotZero();
    }

    @Test
    void manyAtOnceWhileAnInstanceIsHeldEachSeesTheHolder() throws Exception {
        long me = ProcessHandle.current().pid();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (Toolstack ts = Toolstack.open(f.repo); InstanceSession held = ts.session("vm1", "commit")) {
            Run status = local(f.repo, "status");
            assertThat(status.out()).contains("state    held by `vmtree commit` (pid " + me + ")");
            Run branch = local(f.repo, "branch");
            List<Future<Run>> runs = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                String[] argv = i % 2 == 0 ? new String[] {"status"} : new String[] {"branch"};
                runs.add(pool.submit((Callable<Run>) () -> forward(f.repo, Map.of(), argv)));
            }
            for (int i = 0; i < runs.size(); i++) {
                assertThat(runs.get(i).get()).isEqualTo(i % 2 == 0 ? status : branch);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(local(f.repo, "status").out()).doesNotContain("held by");
    }

    @Test
    void onlyReadOnlyFormsAreForwardable() {
        for (String ok : List.of("status", "status -i vm1", "-C /r --json status", "status --json -q", "branch",
                "--debug branch", "log", "log --oneline --graph -n 5 main dev", "log --max-count=3", "tag", "tag -l",
                "reflog", "reflog -i vm1 main", "show main~1", "show -i vm1", "diff", "diff --stat a b", "du", "du -b",
                "instance", "instance list", "-C=/r instance list", "ps", "ps -a", "audit", "audit -n 5 -i vm1")) {
            assertThat(ForwardedCommand.forwardable(List.of(ok.split(" ")))).as(ok).isTrue();
        }
        for (String no : List.of("", "-C", "-C /r", "--json", "help", "help status", "--help", "-h", "--version",
                "-V", "status --help", "status -h", "branch -V", "status -i", "status extra", "branch new",
                "branch new main", "branch -d x", "branch -D x", "branch -m a b", "branch -c a b", "tag v1",
                "tag -d v1", "tag -d -f v1", "tag -l v1", "commit -m x", "checkout main", "run", "create x",
                "instance add x main", "instance remove x", "instance use x", "instance list extra", "instance -h",
                "show a b", "diff a b c", "reflog a b", "log -- x", "log -n", "du --json=x", "-C /a -C /b status",
                "-q", "gc", "fsck", "config user.name", "image list", "mem read 0 1", "store ls",
                "-Cdir status", "status -i=vm1", "-qC /r status", "status --bogus", "start", "stop", "daemon", "attach",
                "logs", "pause", "resume", "ps x", "audit x")) {
            assertThat(ForwardedCommand.forwardable(no.isEmpty() ? List.of() : List.of(no.split(" ")))).as(no).isFalse();
        }
        assertThat(Forwardable.directory(List.of("-C", "/r", "status"))).isEqualTo("/r");
        assertThat(Forwardable.directory(List.of("status", "-C=/x"))).isEqualTo("/x");
        assertThat(Forwardable.directory(List.of("status", "-i", "-C"))).isNull();
    }

    @Test
    void theProtocolOpStreamsOutputAsEventsThenTheExitStatusAndDeclinesWhatItDoesNotRun() throws Exception {
        Map<String, String> env = new HashMap<>();     // what a client in this JVM's environment sends
        Forwardable.CONTEXT.forEach(k -> {
            if (System.getenv(k) != null) {
                env.put(k, System.getenv(k));
            }
        });
        Map<String, Object> request = new HashMap<>(Map.of("v", 1L, "op", "cli", "argv", List.of("status"),
                "cwd", f.repo.toString(), "env", env, "tty", false));
        List<Map<String, Object>> reply = handle(request);
        Map<String, Object> last = reply.getLast();
        assertThat(last).containsEntry("ok", true).containsEntry("exit", 0L);
        StringBuilder out = new StringBuilder();
        for (var m : reply.subList(0, reply.size() - 1)) {
            assertThat(m.get("event")).isEqualTo("stdout");
            out.append(new String(Base64.getDecoder().decode((String) m.get("data")), StandardCharsets.UTF_8));
        }
        assertThat(out.toString()).isEqualTo(local(f.repo, "status").out());

        request.put("argv", List.of("branch", "new"));
        assertThat(handle(request)).singleElement().satisfies(m -> assertThat(m).containsEntry("ok", false)
                .containsEntry("kind", "CANNOT_RUN").containsEntry("status", (long) ExitCodes.CANNOT_RUN));
        assertThat(local(f.repo, "branch").out()).doesNotContain("new");
        request.put("argv", List.of("status"));
        request.put("build", "some other build");
        assertThat(handle(request)).singleElement().satisfies(m -> assertThat(m).containsEntry("ok", false)
                .containsEntry("kind", "CANNOT_RUN"));
        request.put("build", Forwardable.build());
        Map<String, String> elsewhere = new HashMap<>(env);
        elsewhere.put("VMTREE_CONFIG_HOME", "/elsewhere");
        request.put("env", elsewhere);
        assertThat(handle(request)).singleElement().satisfies(m -> assertThat((String) m.get("error"))
                .contains("VMTREE_CONFIG_HOME"));
        request.put("env", env);
        request.put("cwd", "relative/dir");
        assertThat(handle(request)).singleElement().satisfies(m -> assertThat(m)
                .containsEntry("kind", "BAD_INPUT"));
    }

    private static List<Map<String, Object>> handle(Map<String, Object> request) throws Exception {
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        ForwardedCommand.handle(request, reply);
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String line : reply.toString(StandardCharsets.UTF_8).split("\n")) {
            lines.add(dev.vmtree.dom0.service.Json.parseObject(line));
        }
        return lines;
    }
}
