package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * The man pages (AsciiDoc man-page sources, docs/man/*.adoc; `asciidoctor -b manpage` renders them)
 * and the bash completion script (docs/completion/vmtree.bash) are generated from the command
 * classes. This test regenerates them and fails when the committed copies are stale. To refresh:
 * {@code bin/build -q -pl cli -am verify -Dtest=GeneratedDocsTest -Dsurefire.failIfNoSpecifiedTests=false -Dvmtree.writeDocs=true}.
 */
class GeneratedDocsTest {
    @TempDir
    Path tmp;

    private static final Path DOCS = Path.of("..", "docs").toAbsolutePath().normalize();

    @Test
    void committedManPagesAndCompletionMatchTheCommands() throws Exception {
        CommandLine cl = VmtreeCommand.commandLine();
        Path man = Files.createDirectories(tmp.resolve("man"));
        int rc = ManPageGenerator.generateManPage(man.toFile(), null, new boolean[0], true, cl.getCommandSpec());
        assertThat(rc).isZero();
        Path completion = Files.createDirectories(tmp.resolve("completion"));
        Files.writeString(completion.resolve("vmtree.bash"), AutoComplete.bash("vmtree", cl), StandardCharsets.UTF_8);
        Map<String, String> fresh = read(tmp);
        assertThat(fresh).containsKeys("man/vmtree.adoc", "man/vmtree-branch.adoc", "man/vmtree-instance-add.adoc",
                "completion/vmtree.bash");
        if (Boolean.getBoolean("vmtree.writeDocs")) {
            for (String sub : new String[] {"man", "completion"}) {
                Path dir = DOCS.resolve(sub);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> s = Files.list(dir)) {
                        for (Path p : (Iterable<Path>) s::iterator) {
                            Files.delete(p);
                        }
                    }
                }
                Files.createDirectories(dir);
            }
            for (var e : fresh.entrySet()) {
                Files.writeString(DOCS.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
        }
        Map<String, String> committed = read(DOCS);
        assertThat(committed).as("docs/man and docs/completion are stale: regenerate them (see GeneratedDocsTest)")
                .isEqualTo(fresh);
    }

    private static Map<String, String> read(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (String sub : new String[] {"man", "completion"}) {
            Path dir = root.resolve(sub);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                    out.put(sub + File.separator + p.getFileName(), Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }
}
