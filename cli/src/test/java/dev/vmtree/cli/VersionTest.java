package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code vmtree --version} names the release and the commit the build was made from. */
class VersionTest {
    @Test
    void versionNamesTheReleaseAndTheCommit() throws Exception {
        String out = Dom0Fixture.run("--version").ok().out();
        Matcher m = Pattern.compile("vmtree (\\d+\\.\\d+\\.\\d+(?:-SNAPSHOT)?) \\(commit ([0-9a-f]{12,40})(-dirty)?\\)\n"
                + "Java .+\n").matcher(out);
        assertThat(m.matches()).as(out).isTrue();
        Process git = new ProcessBuilder("git", "rev-parse", "HEAD")
                .directory(Path.of(System.getProperty("vmtree.project.root")).toFile()).redirectErrorStream(true).start();
        String head = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(git.waitFor(30, TimeUnit.SECONDS)).isTrue();
        if (git.exitValue() == 0) {   // built from a git work tree: the commit is its HEAD
            assertThat(head).startsWith(m.group(2));
        }
    }
}
