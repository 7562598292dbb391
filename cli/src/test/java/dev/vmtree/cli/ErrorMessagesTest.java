package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.core.state.StateCodec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What errors say: damaged data is told from a bug in vmtree, I/O failures keep the system's reason
 * and name the file the user gave (never a temporary one), and usage errors are one line plus one
 * usage line, with hints for the words git and virsh users type.
 */
class ErrorMessagesTest {
    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.home");
        System.clearProperty("vmtree.config.home");
    }

    private static Dom0Fixture.Result handle(Exception e) {
        StringWriter err = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int status = new ErrorHandler().handleExecutionException(e, cl, null);
        return new Dom0Fixture.Result(status, "", err.toString());
    }

    @Test
    void aProgrammingErrorIsAnInternalErrorAndNeverCorruptData() {
        Dom0Fixture.Result bug = handle(new IllegalArgumentException("index 3 out of range"));
        assertThat(bug.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(bug.err()).isEqualTo("vmtree: internal error (IllegalArgumentException: index 3 out of range);"
                + " please report it (VMTREE_DEBUG=1 shows the trace)\n");
        assertThat(handle(new NullPointerException()).err())
                .isEqualTo("vmtree: internal error (NullPointerException); please report it (VMTREE_DEBUG=1 shows the trace)\n");
        Dom0Fixture.Result corrupt = handle(new CorruptDataException("machine state: truncated at byte 12"));
        assertThat(corrupt.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(corrupt.err()).isEqualTo("vmtree: corrupt data: machine state: truncated at byte 12 (run `vmtree fsck`)\n");
    }

    @Test
    void theCoreCodecsThrowTheirOwnExceptionForDamagedBytes() {
        for (byte[] bad : List.of(new byte[0], new byte[] {1, 2, 3}, "VMTSxxxxxxxxxxxxxxxxx".getBytes())) {
            try {
                StateCodec.decode(bad);
                throw new AssertionError("decoded garbage");
            } catch (CorruptDataException e) {
                assertThat(e.getMessage()).startsWith("machine state: ").doesNotContain("\n");
            }
            try {
                dev.vmtree.core.replay.ReplayLog.decode(bad);
                throw new AssertionError("decoded garbage");
            } catch (CorruptDataException e) {
                assertThat(e.getMessage()).startsWith("replay log: ").doesNotContain("\n");
            }
        }
    }

    @Test
    void anOutputFileThatCannotBeWrittenSaysWhyAndNamesNoTemporaryFile() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        Dom0Fixture f = new Dom0Fixture(dir).init();
        f.vm("create", "kv", "--image", "kvshell", "--memory", "4M").ok();
        String out = dir.resolve("no/such/dir/f").toString();
        record Case(String... args) {}
        for (Case c : List.of(new Case("disk", "export", "--format", "raw", out),
                new Case("disk", "export", "--format", "qcow2", out), new Case("mem", "read", "-o", out, "0x80000000", "16"),
                new Case("store", "cat", "kv", out, "--image", "ram"))) {
            Dom0Fixture.Result r = f.vm(c.args());
            assertThat(r.exit()).as(String.join(" ", c.args())).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).as(String.join(" ", c.args())).isEqualTo("vmtree: cannot write " + out
                    + ": No such file or directory\n");
        }
        Path file = Files.createFile(dir.resolve("a-file"));
        Dom0Fixture.Result r = Dom0Fixture.run("init", file.resolve("x").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).isEqualTo("vmtree: cannot create a repository in " + file.resolve("x/.vmtree")
                + ": Not a directory\n");
    }

    @Test
    void unknownCommandsGetAHintForWhatTheUserMeant() {
        record Case(String word, String hint) {}
        for (Case c : List.of(new Case("reset", "`vmtree rollback [REF]`"), new Case("reset", "`vmtree checkout --discard REF`"),
                new Case("list", "`vmtree instance list`"), new Case("switch", "`vmtree checkout REF`"),
                new Case("shutdown", "`vmtree stop"), new Case("console", "`vmtree attach"),
                new Case("comit", "did you mean `vmtree commit`?"), new Case("xyzzy", "see `vmtree help`"))) {
            Dom0Fixture.Result r = Dom0Fixture.run(c.word());
            assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).as(c.word()).startsWith("vmtree: '" + c.word() + "' is not a vmtree command; ")
                    .contains(c.hint()).doesNotContain("Did you mean").hasLineCount(2);
            assertThat(r.err().lines().toList().get(1)).isEqualTo("usage: vmtree [OPTIONS] [COMMAND] (see `vmtree help`)");
        }
        Dom0Fixture.Result nested = Dom0Fixture.run("instance", "lsit");
        assertThat(nested.err()).isEqualTo("vmtree: 'lsit' is not a `vmtree instance` command; did you mean"
                + " `vmtree instance list`?\nusage: vmtree instance [OPTIONS] [COMMAND] (see `vmtree instance --help`)\n");
    }

    @Test
    void usageErrorsAreOneLinePlusOneUsageLineNeverTheWholeHelp() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        record Case(String expected, String... args) {}
        for (Case c : List.of(
                new Case("vmtree: unknown option: '--frob'\nusage: vmtree branch [OPTIONS] [NAME] [START] (see `vmtree"
                        + " branch --help`)\n", "branch", "--frob"),
                new Case("vmtree: missing required parameter: 'NAME'\nusage: vmtree create [OPTIONS] NAME (see `vmtree"
                        + " create --help`)\n", "create"),
                new Case("vmtree: bad duration 'soon' (use e.g. 90d, 12h, 30m, 45s, 0)\nusage: vmtree gc [OPTIONS] (see"
                        + " `vmtree gc --help`)\n", "gc", "--expire", "soon"),
                new Case("vmtree: invalid value for option '--harts': 'two' is not an int\nusage: vmtree exec [OPTIONS]"
                        + " PROGRAM (see `vmtree exec --help`)\n", "exec", "--harts", "two", "x"))) {
            Dom0Fixture.Result r = f.vm(c.args());
            assertThat(r.exit()).as(String.join(" ", c.args())).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).as(String.join(" ", c.args())).isEqualTo(c.expected());
        }
    }
}
