package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoSystemGitConfigTest {
    @TempDir
    Path dir;

    @Test
    void anOpenRepositoryReadsNoSystemWideGitConfigSoJGitStartsNoGitProcess() {
        Repository.init(dir).close();
        try (Repository repo = Repository.open(dir)) {
            assertThat(SystemReader.getInstance()).isInstanceOf(NoSystemGitConfig.class);
            // JGit only runs `git config --system ...` to find this file; with no file it runs nothing
            assertThat(SystemReader.getInstance().openSystemConfig(null, FS.DETECTED).getFile()).isNull();
            assertThat(repo.refs()).isEmpty();
        }
        NoSystemGitConfig.install();        // again: no second layer
        assertThat(SystemReader.getInstance()).isInstanceOf(NoSystemGitConfig.class);
    }
}
