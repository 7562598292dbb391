package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmtree bench remote} on a 4 MiB image, once: every figure is printed, the update moves a
 * small part of what the image moved, and --keep leaves what bench/remote.sh starts from. rsync
 * and git are measured when installed (apt-get install rsync git) and reported missing otherwise.
 */
class BenchRemoteCommandTest {
    @TempDir
    Path dir;

    static ExecCommandTest.Result bench(String... args) {
        return BenchCoreCommandTest.benchCommand("remote", args);
    }

    private static double moved(String out, String step) {
        Matcher m = Pattern.compile("vmtree median: " + Pattern.quote(step) + "\\s+[0-9.]+ ms[^;]*; ([0-9.]+) MB moved").matcher(out);
        assertThat(m.find()).as(step + " in:\n" + out).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void measuresTheImageAndItsUpdateAndKeepsWhatTheScriptNeeds() throws Exception {
        Path scratch = dir.resolve("scratch");
        ExecCommandTest.Result r = bench("--size", "4", "--runs", "1", "--dir", scratch.toString(), "--keep");
        assertThat(r.status()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("image: 4 MiB of RAM of a machine, 1024 pages").contains("update: 10 pages (1%)")
                .containsPattern("run 0: ingest [0-9]+ ms").contains("target: full clone");
        // the image moves whole (all of it random), the update only its pages and the tree nodes above them
        for (String step : new String[] {"push", "clone", "bundle create"}) {
            assertThat(moved(r.out(), step)).as(step).isGreaterThan(4.0);
        }
        for (String step : new String[] {"push of the update", "pull of the update", "bundle create --base (thin)"}) {
            assertThat(moved(r.out(), step)).as(step).isGreaterThan(0.04).isLessThan(1.0);
        }
        assertThat(r.out()).containsAnyOf("peer rsync: not available", "-B4096 (update)");
        if (!r.out().contains("peer rsync: not available")) {
            assertThat(r.out()).containsPattern("-B4096 \\(update\\)\\s+[0-9.]+ ms; sent 0\\.[0-9]+ MB")
                    .containsPattern("target: the update moves [0-9.]+ MB by push = [0-9.]+x");
        }
        assertThat(r.out()).containsAnyOf("peer git: not available", "git bundle create v1..main (update)");

        assertThat(scratch.resolve("image-v1.raw")).hasSize(4 << 20);
        assertThat(Files.mismatch(scratch.resolve("image-v1.raw"), scratch.resolve("image-v2.raw"))).isNotEqualTo(-1);
        assertThat(scratch.resolve("golden-v1.bundle")).isRegularFile();
        assertThat(scratch.resolve("run0")).doesNotExist();
        try (Repository repo = Repository.open(scratch.resolve("golden"))) {
            SnapshotId update = repo.refs().get("refs/heads/golden");
            SnapshotId image = repo.resolve("golden~1").orElseThrow();
            assertThat(update).isNotEqualTo(image);
        }
    }

    @Test
    void refusesWhatItCannotMeasure() {
        ExecCommandTest.Result keep = bench("--size", "4", "--keep");
        assertThat(keep.status()).isEqualTo(2);
        assertThat(keep.err()).contains("--keep leaves files in --dir DIR");
        ExecCommandTest.Result small = bench("--size", "2");
        assertThat(small.status()).isEqualTo(2);
        assertThat(small.err()).contains("at least 4");
    }
}
