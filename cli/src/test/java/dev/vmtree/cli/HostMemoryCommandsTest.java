package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtree.dom0.HostMemory;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A machine whose RAM this JVM cannot hold is refused with one line before it starts (issue 12),
 * instead of an OutOfMemoryError once the guest has touched enough of it.
 */
class HostMemoryCommandsTest {
    @TempDir
    Path dir;
    Path hello;

    @BeforeEach
    void setUp() {
        hello = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");
        assumeTrue(Runtime.getRuntime().maxMemory() < (64L << 30) + HostMemory.RESERVE, "this JVM could hold 64 GiB");
    }

    @Test
    void createRefusesMemoryTheHeapCannotHoldAndStoresNothing() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Dom0Fixture.Result r = f.vm("create", "big", "--kernel", hello.toString(), "--memory", "64G");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err().strip()).startsWith("vmtree: a machine with 64.0 GiB of RAM does not fit in this JVM's heap")
                .contains("--memory").doesNotContain("\n").doesNotContain("Exception");
        assertThat(f.vm("branch").out()).doesNotContain("big");
        assertThat(f.vm("instance", "list").out()).doesNotContain("big");
    }

    @Test
    void execRefusesMemoryTheHeapCannotHold() {
        ExecCommandTest.Result r = ExecCommandTest.exec("--memory", "64G", hello.toString());
        assertThat(r.status()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).startsWith("vmtree: a machine with 64.0 GiB of RAM does not fit").doesNotContain("\n");
    }
}
