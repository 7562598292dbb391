package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD server and the gdb stub speak without authentication or encryption: bound anywhere but
 * loopback they say on stderr that the network can reach them (issue 12), even under -q; on
 * 127.0.0.1, the default, they say nothing of the kind.
 */
class ReachableServerWarningTest {
    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void instance() {
        f = new Dom0Fixture(dir).init();
        Path hello = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/hello.elf");
        f.vm("create", "d", "--kernel", hello.toString(), "--memory", "16M", "--disk-size", "1M").ok();
    }

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.config.home");
    }

    /** Starts a server command, connects to the port its first line names and hangs up; returns its stderr. */
    String serveOneClient(String portAfter, String... args) throws Exception {
        Dom0Fixture.Started s = f.start(args);
        String first = s.out().readLine();
        assertThat(first).as("the address line").contains(portAfter);
        int port = Integer.parseInt(first.replaceAll(".*:([0-9]+)(/.*)?$", "$1"));
        try (Socket c = new Socket("127.0.0.1", port)) {
            c.getOutputStream().flush();
        }
        return s.done().get(60, TimeUnit.SECONDS).ok().err();
    }

    @Test
    void anNbdServerOnEveryInterfaceWarns() throws Exception {
        String err = serveOneClient("0.0.0.0:", "-q", "disk", "serve", "d", "--nbd", "0.0.0.0:0", "--once");
        assertThat(err).contains("vmtree: warning: --nbd 0.0.0.0: the NBD server is reachable from the network")
                .contains("can read this disk");
        assertThat(serveOneClient("127.0.0.1:", "disk", "serve", "-i", "d", "--nbd", "0", "--once"))
                .doesNotContain("warning");
    }

    @Test
    void aGdbStubOnEveryInterfaceWarns() throws Exception {
        String err = serveOneClient("0.0.0.0:", "-q", "debug", "--gdb", "0.0.0.0:0");
        assertThat(err).contains("vmtree: warning: --gdb 0.0.0.0: the gdb stub is reachable from the network");
        assertThat(serveOneClient("127.0.0.1:", "debug", "--gdb", "127.0.0.1:0")).doesNotContain("warning");
    }
}
