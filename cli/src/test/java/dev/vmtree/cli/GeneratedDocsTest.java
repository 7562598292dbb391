package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * The man pages (troff, docs/man/man1/*.1, one per command: `man -l docs/man/man1/vmtree.1`, or
 * install them in a MANPATH directory) and the bash completion script (docs/completion/vmtree.bash)
 * are generated from the command classes. This test regenerates them and fails when the committed
 * copies are stale, renders every page with groff and fails on any warning, and checks that the
 * help never wraps an example in the middle of a command. To refresh:
 * {@code bin/build -q -pl cli -am verify -Dtest=GeneratedDocsTest -Dsurefire.failIfNoSpecifiedTests=false -Dvmtree.writeDocs=true}.
 */
class GeneratedDocsTest {
    private static final Path DOCS = Path.of("..", "docs").toAbsolutePath().normalize();

    private static Map<String, String> fresh() {
        CommandLine cl = VmtreeCommand.commandLine();
        Map<String, String> out = new TreeMap<>();
        ManPageWriter.pages(cl).forEach((name, page) -> out.put("man/man1/" + name, page));
        out.put("completion/vmtree.bash", AutoComplete.bash("vmtree", cl));
        return out;
    }

    @Test
    void committedManPagesAndCompletionMatchTheCommands() throws Exception {
        Map<String, String> fresh = fresh();
        assertThat(fresh).containsKeys("man/man1/vmtree.1", "man/man1/vmtree-branch.1", "man/man1/vmtree-instance-add.1",
                "completion/vmtree.bash");
        if (Boolean.getBoolean("vmtree.writeDocs")) {
            for (String sub : new String[] {"man", "completion"}) {
                Path dir = DOCS.resolve(sub);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> s = Files.walk(dir)) {
                        for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                            Files.delete(p);
                        }
                    }
                }
            }
            for (var e : fresh.entrySet()) {
                Path p = DOCS.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, e.getValue(), StandardCharsets.UTF_8);
            }
        }
        assertThat(read(DOCS)).as("docs/man and docs/completion are stale: regenerate them (see GeneratedDocsTest)")
                .isEqualTo(fresh);
    }

    @Test
    void everyManPageRendersWithoutAWarning() throws Exception {
        boolean groff = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "groff")));
        if (!groff && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("groff is required in CI (.ci/install-deps installs it)");
        }
        Assumptions.assumeTrue(groff, "groff is not installed");
        Path dir = Files.createTempDirectory("vmtree-man");
        try {
            for (var e : ManPageWriter.pages(VmtreeCommand.commandLine()).entrySet()) {
                Path page = Files.writeString(dir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
                // -ww: every warning; -z: check only; -rCHECKSTYLE=3: the man macros' own style checks
                Process p = new ProcessBuilder("groff", "-man", "-Tutf8", "-ww", "-z", "-rCHECKSTYLE=3", page.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(out).as("groff on %s", e.getKey()).isEmpty();
                assertThat(p.exitValue()).as("groff on %s", e.getKey()).isZero();
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void helpNeverWrapsAnExampleInTheMiddleOfACommand() {
        List<CommandLine> all = new ArrayList<>();
        collect(VmtreeCommand.commandLine(), all);
        for (CommandLine cl : all) {
            StringWriter help = new StringWriter();
            cl.usage(new PrintWriter(help, true));
            boolean examples = false;
            for (String line : cl.getCommandSpec().usageMessage().footer()) {
                examples |= line.strip().equals("Examples:");
                if (examples && line.startsWith("  ")) {
                    assertThat(help.toString()).as("%s --help shows the example whole", cl.getCommandSpec().qualifiedName())
                            .contains(line + System.lineSeparator());
                }
            }
        }
    }

    private static void collect(CommandLine cl, List<CommandLine> all) {
        all.add(cl);
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName()) && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                collect(sub, all);
            }
        });
    }

    private static Map<String, String> read(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String sub : new String[] {"man", "completion"}) {
            Path dir = root.resolve(sub);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile).sorted()::iterator) {
                    out.put(root.relativize(p).toString().replace(File.separatorChar, '/'),
                            Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }
}
