package dev.vmtree.dom0.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@org.junit.jupiter.api.Timeout(30)
class ConsoleHubTest {
    @TempDir
    Path dir;

    /** A viewer on one end of a real Unix socket; returns the other end as the client reads it. */
    private Wire[] pair(String name) throws Exception {
        Path at = dir.resolve(name + ".sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(at));
            SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
            client.connect(UnixDomainSocketAddress.of(at));
            return new Wire[] {new Wire(server.accept()), new Wire(client)};
        }
    }

    private static String output(Wire client) throws Exception {
        Map<String, Object> m = client.read();
        assertThat(m).containsEntry("event", "output");
        return new String(Base64.getDecoder().decode((String) m.get("data")), StandardCharsets.UTF_8);
    }

    @Test
    void outputGoesToTheHistoryAndToEveryViewer() throws Exception {
        Path history = dir.resolve("console").resolve("vm.log");
        Wire[] w = pair("a");
        try (ConsoleHub hub = new ConsoleHub(history)) {
            hub.attach(w[0], false);
            byte[] b = "hello\n".getBytes(StandardCharsets.UTF_8);
            hub.write(b, 0, b.length);
            assertThat(output(w[1])).isEqualTo("hello\n");
        }
        assertThat(Files.readString(history)).isEqualTo("hello\n");
    }

    @Test
    void aHistoryThatCannotBeWrittenLeavesTheViewersTheirOutput() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        Wire[] w = pair("b");
        try (ConsoleHub hub = new ConsoleHub(notADirectory.resolve("vm.log"))) {
            hub.attach(w[0], false);
            byte[] b = "still here\n".getBytes(StandardCharsets.UTF_8);
            hub.write(b, 0, b.length);
            assertThat(output(w[1])).isEqualTo("still here\n");
        }
    }
}
