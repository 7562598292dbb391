package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every command that takes --json prints one JSON document (docs/cli.md "JSON output"), or refuses the flag. */
class JsonOutputTest {
    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.config.home");
    }

    private static void collect(CommandLine cl, List<CommandLine> all) {
        all.add(cl);
        new TreeSet<>(cl.getSubcommands().keySet()).forEach(n -> {
            CommandLine sub = cl.getSubcommands().get(n);
            if (sub.getCommandName().equals(n)) {   // aliases point at the same command
                collect(sub, all);
            }
        });
    }

    @Test
    void onlyCommandsWithoutDataToPrintRefuseJson() {
        List<CommandLine> all = new ArrayList<>();
        collect(VmtreeCommand.commandLine(), all);
        List<String> refusing = all.stream()
                .filter(c -> !(c.getCommand() instanceof JsonOutput) && !(c.getCommand() instanceof CommandLine.HelpCommand))
                .map(c -> c.getCommandSpec().qualifiedName()).sorted().toList();
        // a new command must either print JSON (implement JsonOutput) or be named here on purpose
        assertThat(refusing).containsExactly("vmtree", "vmtree attach", "vmtree bench", "vmtree bench core", "vmtree bench cow",
                "vmtree bench dom0", "vmtree bench lazy", "vmtree bench linux", "vmtree bench remote", "vmtree bench s3", "vmtree bench store", "vmtree bundle", "vmtree daemon", "vmtree debug", "vmtree disk",
                "vmtree disk serve", "vmtree exec", "vmtree image", "vmtree logs", "vmtree mem", "vmtree remote", "vmtree run", "vmtree store",
                "vmtree store cat");
    }

    @Test
    void commandsWithoutJsonRefuseTheFlagBeforeDoingAnything() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        f.snapshot(null, "main", "root");
        f.vm("instance", "add", "vm", "main").ok();
        String status = f.vm("--json", "status").ok().out();
        Path none = Files.createFile(dir.resolve("none"));
        record Case(String why, String... args) {}
        for (Case c : List.of(new Case("its standard output is the guest console", "exec", none.toString()),
                new Case("its standard output is the guest console", "run", "--input", none.toString()),
                new Case("its standard output is the guest console", "attach"),
                new Case("it prints the guest console's history", "logs"),
                new Case("it serves the control protocol until nothing runs", "daemon"),
                new Case("it serves NBD until stopped", "disk", "serve", "main", "--nbd", "0"),
                new Case("it serves the gdb protocol until the debugger leaves", "debug", "main", "--gdb", "0"),
                new Case("it writes an image file", "store", "cat", "main", dir.resolve("out").toString()),
                new Case("it prints a report for people", "bench", "store"))) {
            List<String> args = new ArrayList<>(List.of("--json"));
            args.addAll(List.of(c.args()));
            Dom0Fixture.Result r = f.vm(args.toArray(String[]::new));
            String name = "vmtree " + String.join(" ", List.of(c.args()).subList(0, c.args()[0].equals("disk")
                    || c.args()[0].equals("store") || c.args()[0].equals("bench") ? 2 : 1));
            assertThat(r.exit()).as(name).isEqualTo(ExitCodes.USAGE);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).as(name).startsWith("vmtree: --json: `" + name + "` has no JSON output (" + c.why() + ")\n")
                    .hasLineCount(2);
        }
        assertThat(dir.resolve("out")).doesNotExist();
        assertThat(f.vm("--json", "status").ok().out()).isEqualTo(status);
    }

    @Test
    void theCommandsThatIgnoredJsonPrintItNow() throws Exception {
        Path repo = dir.resolve("repo");
        Dom0Fixture f = new Dom0Fixture(dir);
        String init = f.vm("--json", "init", repo.toString()).ok().out();
        assertThat(init).isEqualTo("{\"directory\":\"" + repo.resolve(".vmtree") + "\"}\n");
        var root = f.snapshot(null, "main", "root");
        String h = root.hex();
        assertThat(f.vm("--json", "branch", "b", "main").ok().out()).isEqualTo("{\"name\":\"b\",\"head\":\"" + h + "\"}\n");
        assertThat(f.vm("--json", "branch", "-m", "b", "c").ok().out())
                .isEqualTo("{\"name\":\"c\",\"head\":\"" + h + "\",\"renamedFrom\":\"b\"}\n");
        assertThat(f.vm("--json", "branch", "-d", "c").ok().out()).isEqualTo("{\"name\":\"c\",\"deleted\":\"" + h + "\"}\n");
        assertThat(f.vm("--json", "tag", "v1", "main").ok().out()).isEqualTo("{\"name\":\"v1\",\"target\":\"" + h + "\",\"signed\":false}\n");
        assertThat(f.vm("--json", "tag", "-d", "--force", "v1").ok().out())
                .isEqualTo("{\"name\":\"v1\",\"deleted\":\"" + h + "\"}\n");
        String added = f.vm("--json", "instance", "add", "vm", "main", "--use").ok().out();
        assertThat(added).matches("\\{\"name\":\"vm\",\"current\":true,\"branch\":\"main\",\"base\":\"" + h
                + "\",\"state\":\"[0-9a-f]{64}\",\"migrated\":false}\n");
        f.vm("instance", "add", "other", "main").ok();
        assertThat(f.vm("--json", "instance", "use", "other").ok().out()).isEqualTo("{\"current\":\"other\"}\n");
        assertThat(f.vm("--json", "instance", "remove", "vm").ok().out()).isEqualTo("{\"removed\":\"vm\"}\n");
        assertThat(f.vm("--json", "config", "user.name", "Ada").ok().out())
                .isEqualTo("{\"key\":\"user.name\",\"scope\":\"repository\",\"value\":\"Ada\"}\n");
        assertThat(f.vm("--json", "config", "--unset", "user.name").ok().out())
                .isEqualTo("{\"key\":\"user.name\",\"scope\":\"repository\",\"unset\":true}\n");
        Path img = Files.write(dir.resolve("img"), new byte[8192]);
        String put = f.vm("--json", "store", "put", img.toString(), "--branch", "data").ok().out();
        assertThat(put).matches("\\{\"snapshot\":\"[0-9a-f]{40}\",\"branch\":\"data\",\"image\":\"disk\","
                + "\"sizeBytes\":8192,\"pageSize\":4096}\n");
        Path raw = dir.resolve("raw.bin");
        assertThat(f.vm("--json", "mem", "read", "-o", raw.toString(), "0x80000000", "4").ok().out())
                .isEqualTo("{\"address\":2147483648,\"length\":4,\"file\":\"" + raw + "\"}\n");
        assertThat(raw).hasSize(4);
        Dom0Fixture.Result both = f.vm("--json", "mem", "read", "-o", "-", "0x80000000", "4");
        assertThat(both.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).startsWith("vmtree: --json and -o - both want standard output");
    }
}
