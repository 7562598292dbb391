package dev.vmtree.dom0.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapTest {
    @TempDir
    Path dir;

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/usr/bin", tool));
    }

    /** An ARP request from 02:00:00:00:00:01 (10.0.2.15) for 10.0.2.2. */
    static byte[] arpRequest() {
        byte[] f = new byte[42];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) 0xff;
        }
        byte[] mac = {2, 0, 0, 0, 0, 1};
        System.arraycopy(mac, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x06;
        byte[] arp = {0, 1, 8, 0, 6, 4, 0, 1};
        System.arraycopy(arp, 0, f, 14, 8);
        System.arraycopy(mac, 0, f, 22, 6);
        System.arraycopy(new byte[] {10, 0, 2, 15}, 0, f, 28, 4);
        System.arraycopy(new byte[] {10, 0, 2, 2}, 0, f, 38, 4);
        return f;
    }

    @Test
    void tcpdumpReadsTheCaptureWithItsTimes() throws Exception {
        assumeTrue(onPath("tcpdump"), "needs tcpdump (Debian package tcpdump; .ci/install-deps installs it)");
        Path file = dir.resolve("c.pcap");
        try (OutputStream out = Files.newOutputStream(file); Pcap pcap = new Pcap(out)) {
            byte[] f = arpRequest();
            pcap.record(1_500_000_000L, f, 0, f.length);            // 1.5 s of guest time
            pcap.record(86_400_000_000_123_000L, f, 0, f.length);   // a day later, plus 123 µs
            assertThat(pcap.records()).isEqualTo(2);
        }
        Process p = new ProcessBuilder("tcpdump", "-n", "-tt", "-r", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("1.500000 ARP, Request who-has 10.0.2.2 tell 10.0.2.15, length 28")
                .contains("86400000.000123 ARP, Request who-has 10.0.2.2 tell 10.0.2.15");
    }

    @Test
    void theFileHeaderIsLibpcaps() throws IOException {
        Path file = dir.resolve("h.pcap");
        try (OutputStream out = Files.newOutputStream(file); Pcap pcap = new Pcap(out)) {
            assertThat(pcap.records()).isZero();
        }
        assertThat(Files.readAllBytes(file)).containsExactly(
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0);
    }
}
