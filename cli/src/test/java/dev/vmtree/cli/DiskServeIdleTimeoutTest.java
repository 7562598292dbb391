package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `disk serve --idle-timeout`: a client that goes silent after the handshake is hung up on (issue 12). */
class DiskServeIdleTimeoutTest {
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

    @Test
    void aSilentClientIsDisconnectedAfterTheIdleTimeout() throws Exception {
        Dom0Fixture.Started s = f.start("disk", "serve", "d", "--nbd", "0", "--once", "--idle-timeout", "1s");
        String url = s.out().readLine();
        int port = Integer.parseInt(url.replaceAll(".*:([0-9]+)/.*", "$1"));
        try (Socket c = new Socket("127.0.0.1", port)) {
            c.setSoTimeout(20_000);         // far past the idle timeout: a hang fails the test, not CI
            DataInputStream in = new DataInputStream(c.getInputStream());
            DataOutputStream out = new DataOutputStream(c.getOutputStream());
            in.readNBytes(18);              // NBDMAGIC, IHAVEOPT, handshake flags
            out.writeInt(3);                // fixed newstyle, no zeroes
            out.writeLong(0x49484156454F5054L);
            out.writeInt(1);                // NBD_OPT_EXPORT_NAME, the default export
            out.writeInt(0);
            out.flush();
            assertThat(in.readLong()).as("the export's size").isEqualTo(1 << 20);
            in.readShort();                 // transmission flags; now in transmission, saying nothing
            assertThat(in.read()).as("hung up on").isEqualTo(-1);
        }
        s.done().get(60, TimeUnit.SECONDS).ok();
    }

    @Test
    void aBadIdleTimeoutIsAUsageError() {
        Dom0Fixture.Result r = f.vm("disk", "serve", "d", "--nbd", "0", "--idle-timeout", "soon");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("bad duration 'soon'");
    }
}
