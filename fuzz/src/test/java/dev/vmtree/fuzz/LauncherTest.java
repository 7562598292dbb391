package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's end-to-end promise, through the real launcher (bin/vmtree, a fresh JVM per command) in
 * temporary directories: the lifecycle commands, two instances running at once, and a run cut by
 * SIGTERM that resumes to the same StateId as an uninterrupted run of the same length.
 */
class LauncherTest {
    @TempDir
    Path dir;

    static Path launcher() {
        return OutsideTools.projectRoot().resolve("bin/vmtree");
    }

    static Path guest(String name) {
        return GuestProgramsTest.bin().resolve(name + ".elf");
    }

    /** Runs {@code vmtree -C dir ARGS} with empty stdin and a private global config. */
    OutsideTools.Run vmtree(String... args) throws Exception {
        return OutsideTools.run(command(args), dir, 300);
    }

    List<String> command(String... args) {
        List<String> c = new ArrayList<>(List.of(launcher().toString(), "-C", dir.toString()));
        c.addAll(List.of(args));
        return c;
    }

    OutsideTools.Run ok(String... args) throws Exception {
        OutsideTools.Run r = vmtree(args);
        assertThat(r.exitCode()).as("vmtree %s%nstdout: %s%nstderr: %s", String.join(" ", args), r.out(), r.err())
                .isZero();
        return r;
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"([^\"]*)\"|[-0-9]+|true|false|null)").matcher(json);
        assertThat(m.find()).as("field %s in %s", name, json).isTrue();
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

    @Test
    void theLifecycleThroughTheLauncher() throws Exception {
        OutsideTools.Run none = vmtree("status");
        assertThat(none.exitCode()).isEqualTo(4);
        assertThat(none.err()).contains("not a vmtree repository").contains("vmtree init").doesNotContain("Exception");

        ok("init");
        ok("config", "user.name", "Ada Tester");
        ok("config", "user.email", "ada@example.org");
        assertThat(vmtree("create", "x", "--kernel", dir.resolve("missing.elf").toString()).err())
                .contains("missing.elf").contains("No such file or directory");
        assertThat(vmtree("create", "x", "--kernel", guest("hello").toString(), "--memory", "12Q").exitCode()).isEqualTo(2);

        String created = ok("--json", "create", "hello", "--kernel", guest("hello").toString(), "--memory", "16M").out();
        String rootSnapshot = field(created, "snapshot");
        String rootState = field(created, "state");
        assertThat(field(ok("--json", "status").out(), "dirty")).isEqualTo("false");

        OutsideTools.Run run = ok("run");
        assertThat(run.out()).contains("Hello from a vmtree guest");
        assertThat(run.err()).contains("suspended hello").contains("powered off");
        String status = ok("--json", "status").out();
        assertThat(field(status, "dirty")).isEqualTo("true");
        String ranState = field(status, "workingState");
        assertThat(ranState).isNotEqualTo(rootState);

        OutsideTools.Run refused = vmtree("checkout", rootSnapshot);
        assertThat(refused.exitCode()).isEqualTo(5);
        assertThat(refused.err()).contains("uncommitted");

        String commit = ok("--json", "commit", "-m", "said hello").out();
        String helloSnapshot = field(commit, "snapshot");
        assertThat(field(commit, "state")).isEqualTo(ranState);
        assertThat(ok("commit", "-m", "again").out()).contains("nothing to commit");
        assertThat(ok("log", "--graph", "--all").out()).contains("said hello").contains("Ada Tester")
                .contains("create hello");

        ok("tag", "greeted");
        ok("branch", "side", rootSnapshot);
        assertThat(ok("branch").out()).contains("side").contains("hello");
        ok("checkout", "side");
        assertThat(field(ok("--json", "status").out(), "workingState")).isEqualTo(rootState);
        OutsideTools.Run again = ok("run");
        assertThat(again.out()).contains("Hello from a vmtree guest");
        assertThat(field(ok("--json", "status").out(), "workingState")).as("the same run from the same state")
                .isEqualTo(ranState);
        ok("checkout", "--discard", "greeted");
        assertThat(field(ok("--json", "status").out(), "branch")).isEqualTo("null");
        ok("checkout", "hello");
        ok("rollback");
        assertThat(field(ok("--json", "status").out(), "head")).isEqualTo(rootSnapshot);
        assertThat(ok("reflog", "hello").out()).contains("rollback");
        assertThat(vmtree("checkout", "no-such-ref").err()).contains("unknown revision");

        ok("instance", "add", "second", "greeted");
        assertThat(ok("instance", "list").out()).contains("second");
        assertThat(ok("run", "-i", "second").err()).as("a powered-off machine stays off").contains("after 0 instructions");
        assertThat(field(ok("--json", "status", "-i", "second").out(), "workingState")).isEqualTo(ranState);
        ok("instance", "remove", "--force", "second");
        assertThat(ok("du").out()).isNotBlank();
        ok("fsck");
        ok("gc");
        ok("fsck");
        assertThat(ok("exec", guest("hello").toString()).out()).contains("Hello from a vmtree guest");

        // reading and editing a stopped machine: mem, reg, diff, show
        ok("mem", "write", "0x80F00000", "cafebabe");
        assertThat(field(ok("--json", "status").out(), "dirty")).isEqualTo("true");
        assertThat(ok("mem", "read", ".", "0x80F00000", "4").out()).contains("80f00000: cafe babe");
        ok("reg", "a0=0x1234");
        assertThat(ok("reg", "a0").out().trim()).isEqualTo("0x1234");
        String diff = ok("diff", rootSnapshot).out();
        assertThat(diff).contains("x10").contains("0x0 -> 0x1234").contains("memory: 1 page of 4 KiB differ")
                .contains("0x80f00000-0x80f00fff");
        assertThat(ok("diff", "--stat", rootSnapshot).out()).contains("registers  1\n");
        String edited = ok("--json", "commit", "-m", "edited by hand").out();
        String show = ok("show", field(edited, "snapshot")).out();
        assertThat(show).contains("state         " + field(edited, "state")).contains("edited by hand")
                .contains("2 events").contains("1 memory write").contains("1 register write");
        assertThat(ok("diff", rootSnapshot, field(edited, "snapshot")).out()).contains("0x80f00000-0x80f00fff");
        assertThat(ok("mem", "read", field(edited, "snapshot"), "0x80F00000", "4").out()).contains("cafe babe");
        assertThat(vmtree("mem", "read", "hello", "0x90000000", "4").err()).contains("is not in RAM");
        assertThat(vmtree("reg", "zz=1").exitCode()).isEqualTo(2);
        assertThat(vmtree("mem", "write", "0x80F00000", "abc").exitCode()).isEqualTo(2);
        assertThat(vmtree("show", "no-such-ref").exitCode()).isEqualTo(1);
        assertThat(helloSnapshot).matches("[0-9a-f]{40}");
    }

    @Test
    void twoInstancesRunAtOnceAndAThirdRunOfOneIsRefused() throws Exception {
        ok("init");
        ok("create", "a", "--kernel", guest("churn").toString(), "--harts", "2", "--memory", "16M");
        ok("instance", "add", "b", "a");
        Process runA = start("run", "-i", "a", "--max-instructions", "20000000000");
        Process runB = start("run", "-i", "b", "--max-instructions", "20000000000");
        waitUntilRunning("a");
        waitUntilRunning("b");
        OutsideTools.Run third = vmtree("run", "-i", "a", "--max-instructions", "1000");
        assertThat(third.exitCode()).as(third.err()).isEqualTo(6);
        assertThat(third.err()).contains("is running in process " + runA.pid());
        assertThat(vmtree("checkout", "-i", "a", "--discard", "a").exitCode()).as("a running instance is not moved")
                .isEqualTo(6);
        assertThat(vmtree("reg", "-i", "b", "a0=1").exitCode()).isEqualTo(6);
        assertThat(field(ok("--json", "status", "-i", "a").out(), "running")).isEqualTo("true");
        assertThat(field(ok("--json", "status", "-i", "b").out(), "running")).as("both at once").isEqualTo("true");
        runA.toHandle().destroy();
        runB.toHandle().destroy();
        assertThat(runA.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(runB.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(runA.exitValue()).isEqualTo(143);
        assertThat(runB.exitValue()).isEqualTo(143);
        for (String i : List.of("a", "b")) {
            String s = ok("--json", "status", "-i", i).out();
            assertThat(field(s, "running")).isEqualTo("false");
            assertThat(Long.parseLong(field(s, "instructionsSinceHead"))).as("instance %s ran", i).isPositive();
        }
    }

    @Test
    void aRunStoppedBySigtermResumesToTheStateOfAnUninterruptedRun() throws Exception {
        ok("init");
        ok("create", "a", "--kernel", guest("churn").toString(), "--harts", "2", "--memory", "16M");
        Process run = start("run", "-i", "a", "--max-instructions", "2000000000");
        waitUntilRunning("a");
        Thread.sleep(700);
        run.toHandle().destroy();                                   // SIGTERM
        assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String err = new String(run.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.exitValue()).as(err).isEqualTo(143);
        assertThat(err).contains("SIGTERM");
        long cut = Long.parseLong(field(ok("--json", "status", "-i", "a").out(), "instructionsSinceHead"));
        assertThat(cut).isPositive();

        long more = 30_000_000;
        assertThat(vmtree("run", "-i", "a", "--max-instructions", Long.toString(more)).exitCode()).isIn(0, 3);
        String resumed = ok("--json", "status", "-i", "a").out();
        // the same machine from the same snapshot, run straight through (a checkout keeps its
        // generation ID; an instance add would give a copy its own, docs/security.md "Clones")
        ok("checkout", "-i", "a", "--discard", "a");
        assertThat(vmtree("run", "-i", "a", "--max-instructions", Long.toString(cut + more)).exitCode()).isIn(0, 3);
        String straight = ok("--json", "status", "-i", "a").out();
        assertThat(field(resumed, "instructionsSinceHead")).isEqualTo(field(straight, "instructionsSinceHead"));
        assertThat(field(resumed, "workingState")).isEqualTo(field(straight, "workingState"));
    }

    @Test
    void sigkillLosesOnlyTheUnsavedRunAndADamagedRecordIsReportedInOneLine() throws Exception {
        ok("init");
        ok("create", "a", "--kernel", guest("churn").toString(), "--harts", "2", "--memory", "16M");
        assertThat(vmtree("run", "--max-instructions", "5000000").exitCode()).isEqualTo(3);
        String saved = ok("--json", "status").out();
        ok("commit", "-m", "five million");
        Process run = start("run", "--max-instructions", "20000000000");
        waitUntilRunning("a");
        Thread.sleep(500);
        run.toHandle().destroyForcibly();                           // SIGKILL: no suspend
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String after = ok("--json", "status").out();
        assertThat(field(after, "running")).isEqualTo("false");
        assertThat(field(after, "workingState")).as("the commit is intact").isEqualTo(field(saved, "workingState"));
        assertThat(ok("log", "--oneline").out()).contains("five million");
        ok("fsck");
        assertThat(vmtree("run", "--max-instructions", "1000").exitCode()).as("the stale lock is taken over")
                .isEqualTo(3);

        java.nio.file.Files.writeString(dir.resolve(".vmtree/instances/a"), "garbage\n");
        // status reports the damage and the repair as the instance's state (read-only commands go on);
        // a command that needs the record stops with one line
        OutsideTools.Run damaged = vmtree("status");
        assertThat(damaged.exitCode()).isZero();
        assertThat(damaged.out()).contains("instance repair");
        OutsideTools.Run blocked = vmtree("run");
        assertThat(blocked.exitCode()).isEqualTo(4);
        assertThat(blocked.err().strip()).doesNotContain("\n").doesNotContain("Exception").contains("instances/a");
    }

    private Process start(String... args) throws IOException {
        return new ProcessBuilder(command(args)).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Waits until `status` reports the instance running (its run holds the lock). */
    private void waitUntilRunning(String instance) throws Exception {
        for (int i = 0; i < 600; i++) {
            OutsideTools.Run s = vmtree("--json", "status", "-i", instance);
            if (s.exitCode() == 0 && field(s.out(), "running").equals("true")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("instance " + instance + " never started running");
    }
}
