package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine keeps the ISA and state encoding it was created with: snapshots made by vmtree before
 * F/D existed (fixtures/v1-kvshell.tar.gz, see its README) keep their StateIds, still pass
 * {@code replay --verify}, and run on as the RV64IMAC machines they were.
 */
class OlderSnapshotsTest {
    private static final String ROOT_STATE = "f32d86a768bedcb7c8cf68cc0d073e30490380a8b7b2eac19a68a8a596f2280b";
    private static final String COMMIT_STATE = "a180bd0237111b30f7bedc503a786582ff92f22d742f2d619101debbc77115ec";

    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void unpackTheOldRepository() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        f = new Dom0Fixture(dir);
        Files.createDirectories(f.repo);
        Path tar = dir.resolve("v1.tar.gz");
        try (InputStream in = OlderSnapshotsTest.class.getResourceAsStream("/fixtures/v1-kvshell.tar.gz")) {
            Files.copy(in, tar);
        }
        Process p = new ProcessBuilder("tar", "xzf", tar.toString(), "-C", f.repo.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    @Test
    void snapshotsFromBeforeFloatingPointKeepTheirStateIds() {
        assertThat(f.vm("show", "kv").ok().out()).contains(COMMIT_STATE).contains("vmtree-virt-1");
        assertThat(f.vm("show", "kv~1").ok().out()).contains(ROOT_STATE);
        assertThat(f.vm("fsck").ok().out()).doesNotContain("damaged");
    }

    @Test
    void theyReplayExactly() {
        Dom0Fixture.Result r = f.vm("replay", "kv", "--verify").ok();
        assertThat(r.out()).contains("identical");
    }

    @Test
    void theyRunOnAsTheMachinesTheyWere() throws Exception {
        f.runWith("get a\nsum\n");
        f.vm("commit", "-m", "more").ok();
        assertThat(f.vm("show", "kv").ok().out()).contains("vmtree-virt-1");
        assertThat(f.vm("replay", "kv", "--verify").ok().out()).contains("identical");
    }
}
