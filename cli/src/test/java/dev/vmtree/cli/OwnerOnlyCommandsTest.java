package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets at rest (issue 12): what Dom0 writes under .vmtree (instance records, the current-instance
 * file, instance locks, settings) and the global settings are their owner's only whatever the umask,
 * and `disk export` never widens the mode of a file it replaces. Runs under this JVM's umask, which
 * must let others read new files for the test to mean anything (022, the common default).
 */
class OwnerOnlyCommandsTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    Path hello;

    @BeforeEach
    void repository() throws IOException {
        Path probe = Files.createFile(dir.resolve("probe"));
        assumeTrue(Files.getPosixFilePermissions(probe).contains(PosixFilePermission.OTHERS_READ),
                "this JVM's umask already hides new files from others");
        hello = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");
        f = new Dom0Fixture(dir).init();
    }

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.config.home");
    }

    /** Every path under {@code top} (itself included) whose mode lets group or others in, with its mode. */
    static List<String> notOwnerOnly(Path top) throws IOException {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> all = Files.walk(top)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                var m = Files.getPosixFilePermissions(p);
                if (m.stream().anyMatch(x -> !x.name().startsWith("OWNER"))) {
                    bad.add(PosixFilePermissions.toString(m) + " " + top.relativize(p));
                }
            }
        }
        return bad;
    }

    @Test
    void instancesLocksAndSettingsAreForTheirOwnerOnly() throws IOException {
        f.vm("config", "user.name", "Ada").ok();
        f.vm("config", "--global", "user.email", "ada@example.org").ok();
        f.vm("create", "a", "--kernel", hello.toString(), "--memory", "16M", "--disk-size", "1M").ok();
        f.vm("create", "b", "--kernel", hello.toString(), "--memory", "16M").ok();
        f.vm("instance", "use", "a").ok();
        f.runWith("");
        f.vm("commit", "-m", "ran").ok();

        assertThat(Files.exists(f.repo.resolve(".vmtree/instances/a.lock"))).as("the run took the instance lock").isTrue();
        assertThat(notOwnerOnly(f.repo.resolve(".vmtree"))).isEmpty();
        assertThat(notOwnerOnly(dir.resolve("config-home"))).isEmpty();
    }

    @Test
    void anExportKeepsTheModeOfTheFileItReplaces() throws IOException {
        f.vm("create", "a", "--kernel", hello.toString(), "--memory", "16M", "--disk-size", "1M").ok();
        for (String mode : List.of("rw-------", "rw-r-----")) {
            for (String format : List.of("raw", "qcow2")) {
                Path out = dir.resolve("disk-" + mode + "." + format);
                Files.writeString(out, "old");
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString(mode));
                f.vm("disk", "export", "a", "--format", format, out.toString()).ok();
                assertThat(Files.size(out)).as("replaced").isGreaterThan(3);
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).as(format).isEqualTo(mode);
            }
        }
        Path fresh = dir.resolve("fresh.img");
        Path probe = Files.createFile(dir.resolve("umask-probe"));
        f.vm("disk", "export", "a", "--format", "raw", fresh.toString()).ok();
        assertThat(Files.getPosixFilePermissions(fresh)).as("a new export gets what the umask gives a new file")
                .isEqualTo(Files.getPosixFilePermissions(probe));
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
