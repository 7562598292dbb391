package dev.vmtree.core.debug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.input.LiveInput;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.loader.ElfLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gdb stub over a socket: the protocol as gdb-multiarch speaks it (a scripted batch session
 * with breakpoints, stepping, reverse-stepi, reverse-continue and a watchpoint), and hostile
 * packets that must get error replies while the server keeps answering.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@Tag("engines")
class GdbServerTest {
    static final Path ELF = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/planted.elf");

    static Machine planted() throws Exception {
        byte[] elf = Files.readAllBytes(ELF);
        return Boot.boot(new MachineConfig(16 << 20, 1, false, ""), Console.NONE,
                new Boot.Images(elf, ELF.toString(), null, null, null, null));
    }

    static long symbol(String name) throws Exception {
        return ElfLoader.symbol(Files.readAllBytes(ELF), name).orElseThrow();
    }

    static GdbServer serve(Machine m, List<String> log) throws IOException {
        return GdbServer.start(InetAddress.getLoopbackAddress(), 0, m, Console.NONE, new LiveInput(Console.NONE),
                new GdbServer.Options(1 << 16, line -> {
                    synchronized (log) {
                        log.add(line);
                    }
                }));
    }

    /** A minimal RSP client: sends framed packets, reads acks and replies. */
    static final class Client implements AutoCloseable {
        final Socket s;
        final InputStream in;
        final OutputStream out;

        Client(int port) throws IOException {
            s = new Socket(InetAddress.getLoopbackAddress(), port);
            s.setSoTimeout(60_000);
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void raw(String bytes) throws IOException {
            out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Sends a packet and returns the reply payload (acks skipped; '-' returned as "-"). */
        String ask(String payload) throws IOException {
            out.write(Rsp.frame(payload));
            out.flush();
            return reply();
        }

        String reply() throws IOException {
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return null;
                }
                if (c == '-') {
                    return "-";
                }
                if (c == '$') {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    for (int x; (x = in.read()) != '#'; ) {
                        b.write(x);
                    }
                    in.read();
                    in.read();
                    out.write('+');
                    return b.toString(StandardCharsets.ISO_8859_1);
                }
            }
        }

        @Override
        public void close() throws IOException {
            s.close();
        }
    }

    @Test
    void breakpointsStepsAndReverseExecutionOverTheWire() throws Exception {
        List<String> log = new ArrayList<>();
        long post = symbol("post");
        try (GdbServer g = serve(planted(), log); Client c = new Client(g.port())) {
            assertThat(c.ask("qSupported:swbreak+;xmlRegisters=i386")).contains("ReverseStep+").contains("ReverseContinue+");
            assertThat(c.ask("qXfer:features:read:target.xml:0,ffff")).startsWith("l<?xml").contains("riscv:rv64");
            assertThat(c.ask("Z0," + Long.toHexString(post) + ",2")).isEqualTo("OK");
            assertThat(c.ask("c")).startsWith("T05").contains("swbreak");
            assertThat(Rsp.parse64le(c.ask("p20"), 0)).isEqualTo(post);          // pc is register 0x20
            long a0first = Rsp.parse64le(c.ask("pa"), 0);
            assertThat(a0first).isZero();                                          // post(0)
            long at = g.timeTravel().now();
            assertThat(c.ask("c")).contains("swbreak");
            assertThat(Rsp.parse64le(c.ask("pa"), 0)).isEqualTo(1);                // post(1)
            String regsAtSecond = c.ask("g");
            assertThat(c.ask("bc")).contains("swbreak");                          // back to post(0)
            assertThat(g.timeTravel().now()).isEqualTo(at);
            assertThat(Rsp.parse64le(c.ask("pa"), 0)).isZero();
            assertThat(c.ask("c")).contains("swbreak");                            // forward again: identical
            assertThat(c.ask("g")).isEqualTo(regsAtSecond);
            assertThat(c.ask("s")).startsWith("T05");
            String afterStep = c.ask("g");
            assertThat(c.ask("bs")).startsWith("T05");
            assertThat(c.ask("g")).isEqualTo(regsAtSecond);
            assertThat(c.ask("s")).startsWith("T05");
            assertThat(c.ask("g")).isEqualTo(afterStep);
            // back past every hit: the start of the session
            assertThat(c.ask("bc")).contains("swbreak");                          // post(1)
            assertThat(Rsp.parse64le(c.ask("pa"), 0)).isEqualTo(1);
            assertThat(c.ask("bc")).contains("swbreak");                          // post(0)
            assertThat(c.ask("bc")).contains("replaylog:begin");
            assertThat(g.timeTravel().now()).isEqualTo(g.timeTravel().start());
            assertThat(c.ask("bs")).contains("replaylog:begin");
        }
    }

    @Test
    void aWatchpointStopsAtThePlantedStoreAndReverseFindsTheMomentBefore() throws Exception {
        long canary = symbol("book") + 64 * 8;
        try (GdbServer g = serve(planted(), new ArrayList<>()); Client c = new Client(g.port())) {
            assertThat(c.ask("Z2," + Long.toHexString(canary) + ",8")).isEqualTo("OK");
            assertThat(c.ask("c")).contains("watch:" + Long.toHexString(canary));
            // stopped before the store, as a hardware trigger would
            assertThat(Rsp.parse64le(c.ask("m" + Long.toHexString(canary) + ",8"), 0)).isZero();
            long pc = Rsp.parse64le(c.ask("p20"), 0);
            assertThat(pc).isBetween(symbol("post"), symbol("main") - 1);
            assertThat(c.ask("s")).startsWith("T05");                               // the store itself
            assertThat(Rsp.parse64le(c.ask("m" + Long.toHexString(canary) + ",8"), 0)).isEqualTo(201337);
            assertThat(c.ask("bc")).contains("watch:" + Long.toHexString(canary));  // back before it
            assertThat(Rsp.parse64le(c.ask("m" + Long.toHexString(canary) + ",8"), 0)).isZero();
            assertThat(Rsp.parse64le(c.ask("p20"), 0)).isEqualTo(pc);
            assertThat(c.ask("z2," + Long.toHexString(canary) + ",8")).isEqualTo("OK");
            assertThat(c.ask("c")).isEqualTo("W00");                               // the guest powers off
        }
    }

    @Test
    void hostilePacketsGetErrorsAndTheServerGoesOn() throws Exception {
        try (GdbServer g = serve(planted(), new ArrayList<>()); Client c = new Client(g.port())) {
            c.raw("$g#00");                                                           // bad checksum
            assertThat(c.reply()).isEqualTo("-");
            assertThat(c.ask("m0,8")).startsWith("E");                                // unmapped
            assertThat(c.ask("mffffffffffffff00,100")).startsWith("E");
            assertThat(c.ask("m80000000,fffffff")).startsWith("E");                   // absurd length
            assertThat(c.ask("mzz,1")).startsWith("E");
            assertThat(c.ask("M0,4:00000000")).startsWith("E");
            assertThat(c.ask("M80200000,2:0")).startsWith("E");                       // odd hex
            assertThat(c.ask("p99")).startsWith("E");
            assertThat(c.ask("P5=12")).startsWith("E");                               // short value
            assertThat(c.ask("G00")).startsWith("E");
            assertThat(c.ask("Z9,0,0")).isEmpty();
            assertThat(c.ask("Z2,80000000,99")).startsWith("E");
            assertThat(c.ask("qXfer:features:read:other.xml:0,10")).startsWith("E");
            assertThat(c.ask("qXfer:features:read:target.xml:ffffff,10")).startsWith("E");
            assertThat(c.ask("Hg99")).startsWith("E");
            assertThat(c.ask("vWhatever")).isEmpty();
            assertThat(c.ask("!")).isEmpty();
            assertThat(c.ask("qRcmd,zz")).startsWith("E");
            assertThat(new String(Rsp.unhex(c.ask("qRcmd," + Rsp.hex("nonsense".getBytes()))))).contains("unknown monitor");
            c.raw("$" + "a".repeat(Rsp.MAX_PACKET * 3) + "#00");                     // too long
            assertThat(c.reply()).isEqualTo("-");
            c.raw("+++garbage");
            assertThat(c.ask("qC")).isEqualTo("QC1");
            assertThat(c.ask("g")).hasSize(33 * 16);
            assertThat(c.ask("m" + Long.toHexString(symbol("main")) + ",4")).hasSize(8);
        }
    }

    @Test
    void vContRefusesWhatItCannotParseInsteadOfContinuing() throws Exception {
        try (GdbServer g = serve(planted(), new ArrayList<>()); Client c = new Client(g.port())) {
            long pc = Rsp.parse64le(c.ask("p20"), 0);
            for (String bad : List.of("vCont;c:zz", "vCont;c:", "vCont;c:99", "vCont;s:1;c:zz", "vCont;cx", "vCont;C",
                    "vCont;Cz1", "vCont;S5", "vCont;t", "vCont;", "vCont;c;", "vCont;c:p1.1")) {
                assertThat(c.ask(bad)).as(bad).isEqualTo("E01");
            }
            assertThat(Rsp.parse64le(c.ask("p20"), 0)).as("nothing ran").isEqualTo(pc);
            assertThat(c.ask("vCont;s:1;c")).as("gdb's step of hart 1").startsWith("T05");
            assertThat(Rsp.parse64le(c.ask("p20"), 0)).isNotEqualTo(pc);
            assertThat(c.ask("vCont;S05:-1")).startsWith("T05");
        }
    }

    @Test
    void gdbMultiarchDebugsTheGuestBackwards(@TempDir Path dir) throws Exception {
        boolean gdb = have("gdb-multiarch");
        if (!gdb && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("gdb-multiarch is required in CI");
        }
        assumeTrue(gdb, "gdb-multiarch not installed");
        long canary = symbol("book") + 64 * 8;
        try (GdbServer g = serve(planted(), new ArrayList<>())) {
            Path script = dir.resolve("session.gdb");
            Files.writeString(script, String.join("\n",
                    "set pagination off",
                    "set confirm off",
                    "file " + ELF,
                    "target remote 127.0.0.1:" + g.port(),
                    "break post",
                    "continue",
                    "printf \"first a0=%d\\n\", $a0",
                    "continue",
                    "printf \"second a0=%d\\n\", $a0",
                    "stepi",
                    "stepi",
                    "reverse-stepi",
                    "reverse-stepi",
                    "printf \"back pc=%#lx a0=%d\\n\", $pc, $a0",
                    "reverse-continue",
                    "printf \"reversed a0=%d\\n\", $a0",
                    "monitor icount",
                    "delete",
                    "watch *(unsigned long *)" + canary,
                    "continue",
                    "printf \"canary=%d\\n\", *(unsigned long *)" + canary,
                    "reverse-stepi",
                    "printf \"before canary=%d\\n\", *(unsigned long *)" + canary,
                    "kill",
                    ""));
            Process p = new ProcessBuilder("gdb-multiarch", "-batch", "-nx", "-x", script.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(4, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("Old value = 0").contains("New value = 201337");
            java.util.regex.Matcher bp = java.util.regex.Pattern.compile("Breakpoint 1 at (0x[0-9a-f]+)").matcher(out);
            assertThat(bp.find()).as(out).isTrue();
            assertThat(Long.decode(bp.group(1))).isBetween(symbol("post"), symbol("main") - 1);   // after post's prologue
            assertThat(out).contains("first a0=0").contains("second a0=1").contains("back pc=" + bp.group(1) + " a0=1")
                    .contains("reversed a0=0").containsPattern("instruction [0-9]+ \\(hart 0 next; the session started at")
                    .contains("canary=201337").contains("before canary=0");
        }
    }

    static boolean have(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
