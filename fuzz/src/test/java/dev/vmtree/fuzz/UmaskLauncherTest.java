package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets at rest (issue 12) through the real launcher, under a umask set for each command (which a
 * JVM cannot change for itself): the store is its owner's only under umask 022, and `disk export`
 * gives a new file the mode the umask allows, not a fixed 0644.
 */
class UmaskLauncherTest {
    @TempDir
    Path dir;

    /** Runs {@code vmtree -C dir ARGS} under {@code umask}; it must succeed. */
    OutsideTools.Run ok(String umask, String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\"",
                LauncherTest.launcher().toString(), "-C", dir.toString()));
        c.addAll(List.of(args));
        OutsideTools.Run r = OutsideTools.run(c, dir, 300);
        assertThat(r.exitCode()).as("umask %s; vmtree %s%nstderr: %s", umask, String.join(" ", args), r.err()).isZero();
        return r;
    }

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void theStoreIsTheOwnersAndExportsFollowTheUmask() throws Exception {
        ok("022", "init");
        ok("022", "create", "d", "--kernel", LauncherTest.guest("hello").toString(), "--memory", "16M",
                "--disk-size", "1M");
        ok("022", "run");
        ok("022", "commit", "-m", "ran");
        try (Stream<Path> all = Files.walk(dir.resolve(".vmtree"))) {
            List<String> open = new ArrayList<>();
            for (Path p : (Iterable<Path>) all::iterator) {
                if (!mode(p).endsWith("------")) {
                    open.add(mode(p) + " " + dir.relativize(p));
                }
            }
            assertThat(open).as("under umask 022").isEmpty();
        }

        ok("077", "disk", "export", "d", "--format", "raw", dir.resolve("private.img").toString());
        assertThat(mode(dir.resolve("private.img"))).isEqualTo("rw-------");
        ok("022", "disk", "export", "d", "--format", "qcow2", dir.resolve("shared.qcow2").toString());
        assertThat(mode(dir.resolve("shared.qcow2"))).isEqualTo("rw-r--r--");
    }
}
