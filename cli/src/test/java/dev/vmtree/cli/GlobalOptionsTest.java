package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -q, --debug, --json on the store commands, the exit-code table and usage errors. */
class GlobalOptionsTest {
    @TempDir
    Path dir;

    @Test
    void quietSuppressesMessagesButNotData() {
        Dom0Fixture f = new Dom0Fixture(dir);
        assertThat(Dom0Fixture.run("-q", "init", f.repo.toString()).ok().out()).isEmpty();
        f.snapshot(null, "main", "one");
        f.vm("instance", "add", "vm1", "main").ok();
        assertThat(f.vm("-q", "branch", "b").ok().out()).isEmpty();
        assertThat(f.vm("-q", "branch").ok().out()).contains("main").contains("b");
        assertThat(f.vm("-q", "gc").ok().out()).isEmpty();
    }

    @Test
    void debugAddsTheStackTraceToTheOneLineError() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Dom0Fixture.Result plain = f.vm("tag", "v1", "nosuch");
        assertThat(plain.err().lines().count()).isEqualTo(1);
        Dom0Fixture.Result debug = f.vm("--debug", "tag", "v1", "nosuch");
        assertThat(debug.exit()).isEqualTo(1);
        assertThat(debug.err()).contains("ToolstackException").contains("at dev.vmtree.dom0.Toolstack.resolve")
                .endsWith("vmtree: unknown revision 'nosuch': not a branch, tag or snapshot id (see `vmtree branch`,"
                        + " `vmtree tag`, `vmtree log --all`)\n");
    }

    @Test
    void fsckAndGcSpeakJson() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        f.snapshot(null, "main", "one");
        assertThat(f.vm("--json", "fsck").ok().out()).startsWith("{\"ok\":true,\"snapshots\":1,").endsWith("\"problems\":[],\"instances\":[],\"configuration\":[],\"allOk\":true}\n");
        assertThat(f.vm("--json", "gc").ok().out()).startsWith("{\"chunksKept\":");
    }

    @Test
    void theRootHelpAndDocsCliMdShowOneExitStatusTable() throws Exception {
        String doc = java.nio.file.Files.readString(Path.of(System.getProperty("vmtree.project.root"), "docs/cli.md"));
        String table = doc.substring(doc.indexOf("## Exit status"), doc.indexOf("Errors are one line"));
        java.util.Set<String> documented = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\| ([0-9, ]+) \\|").matcher(table);
        while (m.find()) {
            for (String code : m.group(1).split(",")) {
                documented.add(code.strip());
            }
        }
        java.util.Set<String> help = new java.util.TreeSet<>();
        VmtreeCommand.commandLine().getCommandSpec().usageMessage().exitCodeList().keySet().forEach(k -> help.add(k.strip()));
        assertThat(documented).isEqualTo(help);
        for (java.lang.reflect.Field f : ExitCodes.class.getFields()) {
            assertThat(help).as("ExitCodes.%s", f.getName()).contains(Integer.toString(f.getInt(null)));
        }
    }

    @Test
    void helpDocumentsEveryExitCodeAndUsageErrorsAreStatus2() {
        String help = Dom0Fixture.run("--help").ok().out();
        for (int code = 0; code <= 6; code++) {
            assertThat(help).contains(" " + code + "   ");
        }
        assertThat(help).contains("branch").contains("instance").contains("log").contains("du");
        Dom0Fixture.Result bad = Dom0Fixture.run("branch", "--nosuch");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(Dom0Fixture.run("nosuchcommand").exit()).isEqualTo(ExitCodes.USAGE);
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Dom0Fixture.Result dur = f.vm("gc", "--expire", "soon");
        assertThat(dur.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(dur.err()).isEqualTo("vmtree: bad duration 'soon' (use e.g. 90d, 12h, 30m, 45s, 0)\n"
                + "usage: vmtree gc [OPTIONS] (see `vmtree gc --help`)\n");
    }
}
