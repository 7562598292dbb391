package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.Toolstack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** show, diff, mem and reg on a real kvshell machine, driven in-process through the command line. */
class MachineInspectionTest {
    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void machine() {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        f = new Dom0Fixture(dir).init();
        f.vm("create", "kv", "--image", "kvshell").ok();
    }

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }


    private String workingState() {
        return Dom0Fixture.field(f.vm("--json", "status").ok().out(), "workingState");
    }

    @Test
    void memWriteThenReadShowsTheBytesAndCommitThenDiffShowsExactlyThatPage() throws Exception {
        assertThat(f.vm("--json", "status").ok().out()).contains("\"dirty\":false");
        f.vm("mem", "write", "0x80001ffe", "48656c6c6f").ok();
        assertThat(f.vm("mem", "read", "0x80001ffe", "5").ok().out())
                .isEqualTo("80001ffe: 4865 6c6c 6f                             Hello\n");   // as xxd prints it
        assertThat(f.vm("--json", "mem", "read", "2147491838", "0x5").ok().out().trim())
                .isEqualTo("{\"address\":2147491838,\"length\":5,\"hex\":\"48656c6c6f\"}");
        Path raw = dir.resolve("raw.bin");
        assertThat(f.vm("mem", "read", "-o", raw.toString(), "0x80001ffe", "6").ok().out()).isEmpty();
        assertThat(Files.readAllBytes(raw)).containsExactly('H', 'e', 'l', 'l', 'o', 0);
        String status = f.vm("--json", "status").ok().out();
        assertThat(status).contains("\"dirty\":true").contains("\"dirtyPages\":{\"disk0\":0,\"ram\":2}");
        f.vm("commit", "-m", "hello in RAM").ok();
        assertThat(f.vm("mem", "read", "kv~1", "0x80001ffe", "5").ok().out()).contains("0000 0000 00");
        assertThat(f.vm("mem", "read", "kv", "0x80001ffe", "5").ok().out()).contains("Hello");
        String diff = f.vm("diff", "kv~1", "kv").ok().out();
        assertThat(diff).contains("memory: 2 pages of 4 KiB differ (guest-physical)\n  0x80001000-0x80002fff  2 pages\n")
                .doesNotContain("registers:").doesNotContain("devices:").doesNotContain("disk0:");
        assertThat(f.vm("--json", "diff", "kv~1", "kv").ok().out().trim()).endsWith("\"identical\":false,"
                + "\"registers\":{\"count\":0,\"changes\":[]},\"devices\":[],\"images\":[{\"name\":\"ram\",\"kind\":\"memory\","
                + "\"unit\":4096,\"count\":2,\"ranges\":[{\"start\":2147487744,\"end\":2147495935,\"units\":2}]},"
                + "{\"name\":\"disk0\",\"kind\":\"disk\",\"unit\":65536,\"count\":0,\"ranges\":[]}]}");
        assertThat(f.vm("show", "kv").ok().out()).contains("replay log    1 event (1 memory write)");
    }

    @Test
    void regSetIsVisibleAndChangesTheStateId() {
        String before = f.vm("--json", "status").ok().out();
        assertThat(f.vm("reg", "a0").ok().out()).isEqualTo("0x0\n");
        f.vm("reg", "a0=0x1234").ok();
        assertThat(f.vm("reg", "x10").ok().out()).isEqualTo("0x1234\n");
        assertThat(f.vm("reg").ok().out()).contains("x10/a0     0x0000000000001234\n").startsWith("pc ");
        assertThat(f.vm("--json", "reg", "A0").ok().out().trim())
                .isEqualTo("{\"hart\":0,\"name\":\"x10\",\"value\":\"0x0000000000001234\"}");
        assertThat(f.vm("--json", "reg").ok().out()).contains("\"x10\":\"0x0000000000001234\"");
        f.vm("reg", "sp=-16").ok();
        assertThat(f.vm("reg", "sp").ok().out()).isEqualTo("0xfffffffffffffff0\n");
        assertThat(f.vm("mem", "read", ".", "0x80200000", "4").ok().out()).isEqualTo(f.vm("mem", "read", "0x80200000", "4")
                .ok().out());
        String state = workingState();
        assertThat(state).isNotEqualTo(Dom0Fixture.field(before, "headState"));
        assertThat(f.vm("--json", "status").ok().out()).contains("\"dirty\":true");
        String diff = f.vm("diff", "HEAD").ok().out();
        assertThat(diff).contains("registers:\n  hart 0 x2/sp     0x0 -> 0xfffffffffffffff0\n"
                + "  hart 0 x10/a0    0x0 -> 0x1234\n").doesNotContain("memory:");
        f.vm("commit", "-m", "a0 set").ok();
        assertThat(Dom0Fixture.field(f.vm("--json", "show").ok().out(), "state")).isEqualTo(state);
    }

    @Test
    void diffStatBetweenTwoCommitsOfARunCountsPages() throws Exception {
        f.runWith("set a 1\nsave\n");
        f.vm("commit", "-m", "a is one").ok();
        f.runWith("set b 2\nsave\n");
        f.vm("commit", "-m", "b is two").ok();
        String stat = f.vm("--json", "diff", "--stat", "kv~1", "kv").ok().out();
        Matcher ram = Pattern.compile("\"name\":\"ram\",\"kind\":\"memory\",\"unit\":4096,\"count\":([0-9]+)\\}").matcher(stat);
        assertThat(ram.find()).as(stat).isTrue();
        assertThat(Long.parseLong(ram.group(1))).isPositive();
        assertThat(stat).contains("\"name\":\"disk0\",\"kind\":\"disk\",\"unit\":65536,\"count\":1}")
                .doesNotContain("ranges").doesNotContain("changes").contains("clock: ");
        String human = f.vm("diff", "--stat", "kv~2", "kv").ok().out();
        assertThat(human).containsPattern("\nram +[1-9][0-9]* pages of 4 KiB\n").contains("disk0      1 block of 64 KiB\n")
                .contains("devices    ").doesNotContain("0x8");
        assertThat(f.vm("diff", "kv", "kv").ok().out()).contains("(identical)").doesNotContain("registers:");
    }

    @Test
    void showPrintsTheStateIdStatusPrinted() throws Exception {
        f.runWith("set a 1\nsave\n");
        String state = workingState();
        String working = f.vm("show").ok().out();
        assertThat(working).startsWith("working state of instance kv (uncommitted; base ").contains("dirty)")
                .contains("state         " + state + "\n").contains("backend       rv64-core (kernel kvshell.elf)\n")
                .contains("halted        no\n").contains("  hart 0      pc 0x00000000802").contains("S-mode\n")
                .contains("disk0         1 MiB, 1 of 16 blocks allocated (64 KiB blocks)\n")
                .contains("console input");
        f.vm("commit", "-m", "a is one").ok();
        String snap = f.vm("show", "kv").ok().out();
        assertThat(snap).startsWith("snapshot ").contains("Parent:  ").contains("    a is one\n")
                .contains("state         " + state + "\n");
        assertThat(f.vm("show").ok().out()).contains("(instance kv is at this snapshot: no uncommitted state)");
        String json = f.vm("--json", "show", "kv").ok().out();
        assertThat(Dom0Fixture.field(json, "state")).isEqualTo(state);
        assertThat(json).contains("\"kind\":\"snapshot\"").contains("\"message\":\"a is one\"")
                .contains("\"disks\":[{\"name\":\"disk0\",\"sizeBytes\":1048576,\"blockSize\":65536,\"blocks\":16,"
                        + "\"allocatedBlocks\":1}]");
        assertThat(Dom0Fixture.field(f.vm("--json", "show", "kv~1").ok().out(), "instructions")).isEqualTo("0");
    }

    @Test
    void badInputIsOneLineWithItsStatusAndChangesNothing() throws Exception {
        f.vm("mem", "write", "0x80001000", "01").ok();
        f.plainSnapshot(null, "plain", "no machine here");
        Path record = f.repo.resolve(".vmtree/instances/kv");
        byte[] recordBefore = Files.readAllBytes(record);
        String status = f.vm("--json", "status").ok().out();
        String log = f.vm("--json", "log", "--all").ok().out();
        record Case(int exit, String message, String... args) {}
        List<Case> cases = List.of(
                new Case(1, "unknown revision 'nope'", "show", "nope"),
                new Case(1, "unknown revision 'nope'", "diff", "nope"),
                new Case(1, "unknown revision 'nope'", "mem", "read", "nope", "0x80000000", "4"),
                new Case(1, "holds no machine", "show", "plain"),
                new Case(1, "holds no machine", "diff", "plain", "kv"),
                new Case(1, "holds no machine", "mem", "read", "plain", "0x80000000", "4"),
                new Case(2, "bad address 'x80'", "mem", "read", "x80", "4"),
                new Case(2, "address must not be negative: -4", "mem", "write", "-4", "00"),
                new Case(2, "is not in RAM", "mem", "read", "0x1000", "4"),
                new Case(2, "is not in RAM", "mem", "read", "0x87fffffe", "4"),
                new Case(2, "is not in RAM", "mem", "write", "0x88000000", "00"),
                new Case(2, "LEN is at most", "mem", "read", "0x80000000", "0x4000001"),
                new Case(2, "even number of hex digits", "mem", "write", "0x80000000", "abc"),
                new Case(2, "hex digits only", "mem", "write", "0x80000000", "zz"),
                new Case(2, "unknown register 'foo'", "reg", "foo"),
                new Case(2, "unknown register 'foo'", "reg", "foo=1"),
                new Case(2, "x0 (zero) is hard-wired to 0", "reg", "x0=1"),
                new Case(2, "bad value", "reg", "a0=0xg"),
                new Case(2, "priv must be", "reg", "priv=2"),
                new Case(2, "no hart 1 (the machine has 1)", "reg", "--hart", "1"),
                new Case(2, "no hart 1 (the machine has 1)", "reg", "--hart", "1", "pc=0x80000000"),
                new Case(1, "no instance 'other'", "reg", "-i", "other", "a0=1"));
        for (Case c : cases) {
            Dom0Fixture.Result r = f.vm(c.args());
            assertThat(r.exit()).as("%s: %s", String.join(" ", c.args()), r.err()).isEqualTo(c.exit());
            assertThat(r.err()).as(String.join(" ", c.args())).startsWith("vmtree: ").contains(c.message())
                    .hasLineCount(c.exit() == ExitCodes.USAGE ? 2 : 1);   // a usage error adds the usage line
            if (c.exit() == ExitCodes.USAGE) {
                assertThat(r.err().lines().toList().get(1)).startsWith("usage: vmtree " + c.args()[0]);
            }
        }
        try (Toolstack ts = Toolstack.open(f.repo); InstanceLock held = ts.instances().lock("kv")) {
            for (String[] args : List.of(new String[] {"mem", "write", "0x80000000", "00"}, new String[] {"reg", "a0=1"})) {
                Dom0Fixture.Result r = f.vm(args);
                assertThat(r.exit()).isEqualTo(ExitCodes.LOCKED);
                assertThat(r.err()).contains("instance kv is running in process").hasLineCount(1);
            }
        }
        assertThat(Files.readAllBytes(record)).isEqualTo(recordBefore);
        assertThat(f.vm("--json", "status").ok().out()).isEqualTo(status);
        assertThat(f.vm("--json", "log", "--all").ok().out()).isEqualTo(log);
        assertThat(f.vm("fsck").ok().out()).contains("ok");
    }
}
