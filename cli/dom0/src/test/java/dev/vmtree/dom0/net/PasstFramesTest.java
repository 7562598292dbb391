package dev.vmtree.dom0.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FrameStream} against the real passt: an ARP request for the gateway, sent over passt's Unix
 * socket in QEMU's framing, gets passt's answer. passt runs in a fresh network namespace (`unshare -n`)
 * with one veth pair for it to copy addresses from, so nothing outside the test is reachable.
 */
class PasstFramesTest {
    @TempDir
    Path dir;

    @Test
    void passtAnswersAnArpRequestSentInQemusFraming() throws Exception {
        assumeTrue(PcapTest.onPath("passt"), "needs passt (Debian package passt; .ci/install-deps installs it)");
        assumeTrue(PcapTest.onPath("unshare") && PcapTest.onPath("ip"), "needs unshare (util-linux) and ip (iproute2)");
        Path sock = dir.resolve("passt.sock");
        String script = "ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 10.0.2.15/24 dev v0"
                + " && ip link set v0 up && ip link set v1 up && ip route add default via 10.0.2.2 dev v0"
                + " && exec passt -f -q --runas " + uid() + " -s " + sock + " -D none -S none --no-dhcp-dns -m 1500 -4";
        Process passt = new ProcessBuilder("unshare", "-n", "sh", "-c", script)
                .redirectErrorStream(true).redirectOutput(dir.resolve("passt.log").toFile()).start();
        try {
            for (int i = 0; i < 200 && !Files.exists(sock); i++) {
                assumeTrue(passt.isAlive(), () -> "passt did not start (unshare -n needs CAP_SYS_ADMIN): " + log());
                Thread.sleep(25);
            }
            assertThat(sock).as(log()).exists();
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                OutputStream out = Channels.newOutputStream(ch);
                InputStream in = Channels.newInputStream(ch);
                byte[] request = PcapTest.arpRequest();
                FrameStream.write(out, request, 0, request.length);
                out.flush();
                FrameStream.Reader r = new FrameStream.Reader(in);
                byte[] reply = null;
                for (int i = 0; i < 20 && reply == null; i++) { // passt may speak first (router solicitations are IPv6: off)
                    int n = r.next();
                    assertThat(n).isPositive();
                    byte[] f = Arrays.copyOf(r.buffer(), n);
                    if (f[12] == 0x08 && f[13] == 0x06 && f[21] == 2) {
                        reply = f;
                    }
                }
                assertThat(reply).as("an ARP reply").isNotNull();
                assertThat(Frames.destination(reply, 0)).isEqualTo("02:00:00:00:00:01");
                assertThat(Arrays.copyOfRange(reply, 28, 32)).containsExactly(10, 0, 2, 2);   // sender: the gateway
                assertThat(Arrays.copyOfRange(reply, 38, 42)).containsExactly(10, 0, 2, 15);  // target: us
            }
        } finally {
            passt.destroy();
            passt.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("passt.log"));
        } catch (java.io.IOException e) {
            return "";
        }
    }

    static long uid() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
