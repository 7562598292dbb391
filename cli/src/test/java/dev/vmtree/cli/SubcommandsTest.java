package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Main builds only the model of the subcommand a command line names (a third of a short
 * command's time went into building all of them); that must never change what vmtree prints.
 */
class SubcommandsTest {
    @TempDir
    Path dir;

    @Test
    void eachListedNameIsItsCommandsOwnAndTheFullModelHasThemInOrder() {
        for (VmtreeCommand.Subcommand s : VmtreeCommand.SUBCOMMANDS) {
            assertThat(s.type().getAnnotation(Command.class).name()).isEqualTo(s.name());
        }
        assertThat(List.copyOf(VmtreeCommand.commandLine().getSubcommands().keySet()))
                .isEqualTo(VmtreeCommand.SUBCOMMANDS.stream().map(VmtreeCommand.Subcommand::name).toList());
    }

    @Test
    void onlyTheNamedSubcommandIsBuiltWhenThatIsPlainElseAll() {
        assertThat(VmtreeCommand.commandLine("status").getSubcommands().keySet()).containsExactly("status");
        assertThat(VmtreeCommand.commandLine("-C", "x", "--json", "-q", "--debug", "instance", "list")
                .getSubcommands().keySet()).containsExactly("instance");
        int all = VmtreeCommand.SUBCOMMANDS.size();
        for (String[] args : List.of(new String[0], new String[] {"help", "status"}, new String[] {"--help"},
                new String[] {"-V"}, new String[] {"statsu"}, new String[] {"-C"}, new String[] {"-Cx", "status"},
                new String[] {"--", "status"})) {
            assertThat(VmtreeCommand.commandLine(args).getSubcommands()).as(String.join(" ", args)).hasSize(all);
        }
    }

    @Test
    void whatIsPrintedIsTheSameWithOneSubcommandBuiltOrAll() {
        new Dom0Fixture(dir).init();
        String repo = dir.resolve("repo").toString();
        for (String[] args : List.of(new String[] {"status", "--help"}, new String[] {"-C", repo, "status", "--bogus"},
                new String[] {"-C", repo, "status", "-i"}, new String[] {"-C", repo, "branch", "a", "b", "c"},
                new String[] {"-C", repo, "--json", "branch"}, new String[] {"-C", repo, "instance", "lsit"},
                new String[] {"-C", repo, "log", "--json", "-n", "x"}, new String[] {"-C", repo, "exec", "--json"},
                new String[] {"-C", dir.toString(), "status"}, new String[] {"branch", "-C"})) {
            assertThat(run(VmtreeCommand.commandLine(args), args)).as(String.join(" ", args))
                    .isEqualTo(run(VmtreeCommand.commandLine(), args));
        }
    }

    private static String run(CommandLine cl, String[] args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return exit + "\n" + out + "\n" + err;
    }
}
