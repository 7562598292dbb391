package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.service.Dom0Daemon;
import dev.vmtree.dom0.service.Dom0Paths;
import dev.vmtree.dom0.service.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Background instances end to end (issue 15): the real `vmtree` commands in this JVM talking to a
 * real Dom0 daemon, which `start` spawns as a process of its own, so every request crosses the
 * control socket and every stop comes "from another process".
 */
class BackgroundInstancesTest {
    @TempDir
    Path tmp;
    Dom0Fixture f;
    Path guests;

    @BeforeEach
    void setUp() {
        f = new Dom0Fixture(tmp).init();
        guests = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin");
    }

    @AfterEach
    void killDaemon() throws InterruptedException {
        f.killDaemon();
    }

    private Path input(String text) throws IOException {
        Path p = tmp.resolve("in-" + System.nanoTime());
        Files.writeString(p, text);
        return p;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> ps(String name) {
        for (Object o : (List<Object>) Json.parse(f.vm("--json", "ps", "-a").ok().out().trim())) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.get("name").equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no " + name + " in ps -a");
    }

    private Map<String, Object> json(Dom0Fixture.Result r) {
        return Json.parseObject(r.ok().out().trim());
    }

    @Test
    void twoInstancesFromDifferentSnapshotsRunAttachCommitAndStopInTheBackground() throws Exception {
        f.vm("create", "kv", "--kernel", guests.resolve("kvshell.elf").toString(), "--memory", "16M").ok();
        String first = f.vm("--json", "log", "-1").ok().out();
        f.runWith("\nset x 1\n");
        f.vm("commit", "-m", "x is 1").ok();
        f.vm("instance", "add", "old", "kv~1").ok();

        Map<String, Object> kv = json(f.vm("--json", "start", "-i", "kv"));
        Map<String, Object> old = json(f.vm("--json", "start", "-i", "old"));
        assertThat(kv.get("pid")).isEqualTo(old.get("pid"));
        assertThat(ps("kv").get("state")).isEqualTo("running");
        assertThat(ps("old").get("state")).isEqualTo("running");
        assertThat(ps("kv").get("pid")).isEqualTo(kv.get("pid"));
        assertThat(first).isNotEmpty();

        // the two are different machines: kv has x, old does not
        String a = f.vm("attach", "-i", "kv", "--input", input("get x\nset y 2\n").toString(), "--idle", "1s").ok().out();
        assertThat(a).contains("get x").contains("1");
        String b = f.vm("attach", "-i", "old", "--input", input("get x\n").toString(), "--idle", "1s").ok().out();
        assertThat(b).contains("get x").doesNotContain("\n1");
        assertThat(f.vm("logs", "-i", "kv").ok().out()).contains("set y 2");

        // two viewers see the same output; the one that types is the one that asked to
        Dom0Fixture.Started watcher = f.start("attach", "-i", "kv", "--read-only", "--idle", "3s");
        waitForViewers("kv", 1);
        String typed = f.vm("attach", "-i", "kv", "--input", input("set z 9\nget z\n").toString(), "--idle", "1s").ok().out();
        assertThat(typed).contains("get z").contains("9");
        StringBuilder watched = new StringBuilder();
        for (String line; (line = watcher.out().readLine()) != null; ) {
            watched.append(line).append('\n');
        }
        assertThat(watcher.done().get(30, TimeUnit.SECONDS).exit()).isZero();
        assertThat(watched.toString()).contains("set z 9").contains("get z").contains("9");

        // committed while it runs: the snapshot holds y, and the instance runs on
        Map<String, Object> c = json(f.vm("--json", "commit", "-i", "kv", "-m", "y is 2, running"));
        assertThat(c.get("created")).isEqualTo(true);
        assertThat(ps("kv").get("state")).isEqualTo("running");
        f.vm("instance", "add", "copy", (String) c.get("snapshot")).ok();
        f.vm("checkout", "-i", "copy", (String) c.get("snapshot")).ok();
        Path script = input("\nget y\nhalt\n");
        String copy = f.vm("run", "-i", "copy", "--input", script.toString()).ok().out();
        assertThat(copy).contains("2");

        // held while it runs: what would change it refuses, naming Dom0; status says so
        Dom0Fixture.Result refused = f.vm("checkout", "-i", "kv", "kv~1");
        assertThat(refused.exit()).isEqualTo(ExitCodes.LOCKED);
        assertThat(refused.err()).contains("instance kv runs in the background").contains("vmtree stop -i kv");
        assertThat(f.vm("run", "-i", "kv").exit()).isEqualTo(ExitCodes.LOCKED);
        assertThat(f.vm("status", "-i", "kv").ok().out()).contains("running in the background (Dom0 pid " + kv.get("pid"));

        // paused and resumed in place
        f.vm("pause", "-i", "kv").ok();
        assertThat(ps("kv").get("state")).isEqualTo("paused");
        f.vm("resume", "-i", "kv").ok();
        assertThat(ps("kv").get("state")).isEqualTo("running");

        // stopped (from this process, not the daemon's), then started again at the state it stopped at
        Map<String, Object> stopped = json(f.vm("--json", "stop", "-i", "kv"));
        assertThat(stopped.get("saved")).isEqualTo(true);
        assertThat(ps("kv").get("state")).isEqualTo("stopped");
        String status = f.vm("--json", "status", "-i", "kv").ok().out();
        assertThat(status).contains((String) stopped.get("state"));
        Map<String, Object> again = json(f.vm("--json", "start", "-i", "kv"));
        assertThat(again.get("state")).isEqualTo(stopped.get("state"));
        String after = f.vm("attach", "-i", "kv", "--input", input("get y\n").toString(), "--idle", "1s").ok().out();
        assertThat(after).contains("get y").contains("2");
        // Dom0's limits refuse an instance beyond them, before it runs anything
        f.vm("config", "dom0.maxInstances", "2").ok();
        Dom0Fixture.Result third = f.vm("start", "-i", "copy");
        assertThat(third.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(third.err()).contains("dom0.maxInstances");
        assertThat(ps("copy").get("state")).isEqualTo("stopped");
        f.vm("stop", "-i", "kv").ok();
        f.vm("stop", "-i", "old").ok();

        // and the audit log has it all, in order
        List<String> ops = new java.util.ArrayList<>();
        for (Object o : (List<?>) Json.parse(f.vm("--json", "audit", "-i", "kv").ok().out().trim())) {
            Map<?, ?> e = (Map<?, ?>) o;
            ops.add(e.get("op") + " " + e.get("outcome"));
        }
        assertThat(ops).containsSubsequence("start ok", "attach ok", "commit ok", "pause ok", "resume ok", "stop ok",
                "start ok", "stop ok");
        String copyLog = f.vm("audit", "-i", "copy").ok().out();
        assertThat(copyLog).contains("refused").contains("dom0.maxInstances");

        // with nothing running the daemon ends by itself, taking its socket along
        Path socket = Dom0Paths.of(f.repo).socket();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(socket).doesNotExist();
    }

    @Test
    void aBusyGuestPausesAndStopsPromptlyAndAKilledDaemonLeavesItStoppedAtItsLastSave() throws Exception {
        // dirty.elf computes for ever, rewriting 655 pages a round, and never waits for anything
        f.vm("create", "busy", "--kernel", guests.resolve("dirty.elf").toString(), "--memory", "16M").ok();
        f.vm("start", "-i", "busy").ok();
        long i1 = waitForInstructions("busy", 1);
        f.vm("pause", "-i", "busy").ok();
        long p1 = ((Number) ps("busy").get("instructions")).longValue();
        Thread.sleep(300);
        long p2 = ((Number) ps("busy").get("instructions")).longValue();
        assertThat(p2).as("a paused guest runs nothing").isEqualTo(p1).isGreaterThanOrEqualTo(i1);
        f.vm("resume", "-i", "busy").ok();
        waitForInstructions("busy", p2 + 1);

        // a guest that never stops computing stops at once: the core stops it between instructions
        long t0 = System.nanoTime();
        Map<String, Object> stopped = json(f.vm("--json", "stop", "-i", "busy"));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        String saved = (String) stopped.get("state");

        // SIGKILL the supervisor of a running instance: the instance is left at its last saved state
        f.vm("start", "-i", "busy").ok();
        long pid = ((Number) ps("busy").get("pid")).longValue();
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        daemon.destroyForcibly();
        daemon.onExit().get(30, TimeUnit.SECONDS);
        assertThat(Dom0Paths.of(f.repo).socket()).as("a stale socket stays behind").exists();
        Map<String, Object> row = ps("busy");
        assertThat(row.get("state")).isEqualTo("stopped");
        assertThat(f.vm("--json", "status", "-i", "busy").ok().out()).contains(saved);
        // the next start finds the stale socket, cleans up and starts a new daemon at that state
        Map<String, Object> again = json(f.vm("--json", "start", "-i", "busy"));
        assertThat(again.get("state")).isEqualTo(saved);
        assertThat(again.get("pid")).isNotEqualTo(pid);
        f.vm("stop", "-i", "busy").ok();
    }

    @Test
    void theSocketIsTheOwnersOnly() throws Exception {
        f.vm("create", "kv", "--kernel", guests.resolve("kvshell.elf").toString(), "--memory", "16M").ok();
        f.vm("start").ok();
        Dom0Paths paths = Dom0Paths.of(f.repo);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(paths.dir()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(paths.socket()))).isEqualTo("rw-------");
        Path python = Path.of("/usr/bin/python3"), setpriv = Path.of("/usr/bin/setpriv");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root && Files.isExecutable(python) && Files.isExecutable(setpriv)) {
            // open every directory above the socket's to others, so only the socket's own modes decide
            // (the test's own directories only: never the temporary directory above them, nor anything else)
            for (Path p = paths.dir().getParent(); p != null && p.startsWith(tmp); p = p.getParent()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            if (!tmp.getParent().toFile().canExecute() || !isSearchableByOthers(tmp.getParent())) {
                System.out.println("BackgroundInstancesTest: " + tmp.getParent() + " is not open to other users;"
                        + " another user's connection is refused by that too");
            }
            String connect = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1])\n"
                    + " print('connected')\nexcept OSError as e:\n print(type(e).__name__)\n";
            assertThat(python(List.of(python.toString(), "-c", connect, paths.socket().toString())))
                    .as("the owner connects").isEqualTo("connected");
            assertThat(python(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
                    python.toString(), "-c", connect, paths.socket().toString())))
                    .as("another user is refused").isEqualTo("PermissionError");
        } else {
            System.out.println("BackgroundInstancesTest: not root or no /usr/bin/python3 and setpriv: another user's"
                    + " connection is not tried; the modes were checked");
        }
        f.vm("stop").ok();
    }

    private static boolean isSearchableByOthers(Path dir) throws IOException {
        return Files.getPosixFilePermissions(dir).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
    }

    @Test
    void theProtocolRefusesWhatItDoesNotSpeakAndGoesOnServing() throws Exception {
        f.vm("create", "kv", "--kernel", guests.resolve("kvshell.elf").toString(), "--memory", "16M").ok();
        f.vm("start").ok();
        Path socket = Dom0Paths.of(f.repo).socket();
        try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            dev.vmtree.dom0.service.Wire w = new dev.vmtree.dom0.service.Wire(ch);
            w.send(Json.object("v", 2L, "op", "ps"));
            assertThat(w.read()).containsEntry("ok", false).containsEntry("kind", "BAD_INPUT")
                    .containsEntry("error", "this Dom0 speaks protocol version 1, not 2");
            w.send(Json.object("v", 1L, "op", "reboot-the-host"));
            assertThat(w.read()).containsEntry("kind", "BAD_INPUT").containsEntry("error", "unknown op \"reboot-the-host\"");
            w.send(Json.object("v", 1L, "op", "stop", "instance", "ghost"));
            assertThat(w.read()).containsEntry("kind", "FAILED").containsEntry("status", 1L);
            w.send(Json.object("v", 1L, "op", "start", "instance", "kv"));
            assertThat(w.read()).containsEntry("kind", "LOCKED");
            ch.write(java.nio.ByteBuffer.wrap("this is not JSON\n".getBytes()));
            assertThat((String) w.read().get("error")).startsWith("bad request: bad JSON at character");
            assertThat(w.read()).as("the connection is closed after a line that is not JSON").isNull();
        }
        assertThat(ps("kv").get("state")).isEqualTo("running");
        f.vm("stop").ok();
    }

    @Test
    void aGuestThatFailsLeavesItsInstanceCrashedWithItsOutputInTheLogs() throws Exception {
        f.vm("create", "bad", "--kernel", guests.resolve("fail.elf").toString(), "--memory", "16M").ok();
        f.vm("start", "-i", "bad").ok();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"crashed".equals(ps("bad").get("state"))) {
            assertThat(System.nanoTime()).as("bad's run ends").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(f.vm("logs", "-i", "bad").ok().out()).contains("fail: this guest reports a failure on purpose");
        assertThat(f.vm("audit", "-i", "bad").ok().out()).contains("crash").contains("the guest reported failure");
        // the word belongs to that instance alone: one never started is stopped
        f.vm("create", "good", "--kernel", guests.resolve("kvshell.elf").toString(), "--memory", "16M").ok();
        assertThat(ps("good").get("state")).isEqualTo("stopped");
    }

    @Test
    void aTerminatedDaemonSuspendsItsInstancesAndRemovesItsSocket() throws Exception {
        f.vm("create", "busy", "--kernel", guests.resolve("dirty.elf").toString(), "--memory", "16M").ok();
        f.vm("start", "-i", "busy").ok();
        waitForInstructions("busy", 1);
        ProcessHandle daemon = ProcessHandle.of(Dom0Daemon.pidOf(f.repo)).orElseThrow();
        daemon.destroy();   // SIGTERM
        daemon.onExit().get(60, TimeUnit.SECONDS);
        assertThat(Dom0Paths.of(f.repo).socket()).doesNotExist();
        Map<String, Object> row = ps("busy");
        assertThat(row.get("state")).isEqualTo("stopped");
        String status = f.vm("--json", "status", "-i", "busy").ok().out();
        assertThat(Long.parseLong(Dom0Fixture.field(status, "instructionsSinceHead"))).as("the run was saved").isPositive();
        assertThat(f.vm("audit", "-i", "busy").ok().out()).contains("Dom0 was signalled");
    }

    private static String python(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private void waitForViewers(String name, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (((Number) psBackground(name).get("viewers")).longValue() < n) {
            assertThat(System.nanoTime()).as("viewers of " + name).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** The daemon's own ps entry (with its viewer count), straight from the protocol. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> psBackground(String name) {
        try (var c = dev.vmtree.dom0.service.Dom0Client.connect(f.repo).orElseThrow()) {
            for (Object o : (List<Object>) c.call(Json.object("op", "ps")).get("instances")) {
                Map<String, Object> m = (Map<String, Object>) o;
                if (m.get("name").equals(name)) {
                    return m;
                }
            }
        }
        throw new AssertionError(name + " is not running in the background");
    }

    private long waitForInstructions(String name, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            long n = ((Number) ps(name).get("instructions")).longValue();
            if (n >= atLeast) {
                return n;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " did not reach " + atLeast + " instructions");
    }
}
