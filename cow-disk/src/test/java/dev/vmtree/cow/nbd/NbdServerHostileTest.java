package dev.vmtree.cow.nbd;

import static dev.vmtree.cow.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.cow.disk.VirtualDisk;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Raw-socket clients that break the protocol: each gets an error reply or its connection closed; the server lives on. */
class NbdServerHostileTest {

    private static final long SIZE = 1 << 20;
    private VirtualDisk disk;
    private NbdServer server;
    private final List<long[]> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<byte[]> writtenBytes = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        disk = VirtualDisk.blank(SIZE);
        disk.write(0, new byte[] {1, 2, 3, 4}, 0, 4);
        server = NbdServer.start(0, List.of(
                NbdExport.readWrite("rw", disk, (o, l) -> {
                    writes.add(new long[] {o, l});
                    byte[] b = new byte[(int) l];
                    disk.read(o, b, 0, b.length); // what a ReplayLog event would carry
                    writtenBytes.add(b);
                }),
                NbdExport.readOnly("ro", disk.snapshot())));
        assertThat(server.port()).isPositive();
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** After each abuse a well-behaved client still gets served. */
    private void assertServerStillServes() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            assertThat(c.go("rw")).isEqualTo(SIZE);
            c.request(CMD_READ, 7, 0, 4);
            assertThat(c.reply(7)).isZero();
            byte[] b = new byte[4];
            c.in.readFully(b);
            assertThat(b).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void garbageInsteadOfClientFlagsClosesTheConnection() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port())) {
            c.in.readNBytes(18);
            c.out.writeInt(0xdeadbeef);
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
        assertServerStillServes();
    }

    @Test
    void unknownOptionsGetUnsupportedAndHugeOptionsCloseTheConnection() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.option(99, new byte[3]);
            RawNbdClient.OptionReply r = c.optionReply();
            assertThat(r.option()).isEqualTo(99);
            assertThat(r.type()).isEqualTo(REP_ERR_UNSUP);
            c.option(OPT_GO, new byte[] {0, 0, 0, 9, 'x'}); // name length beyond the data
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            c.option(OPT_INFO, new byte[] {0, 0, 0, 2, 'n', 'o', 0, 0});
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_UNKNOWN);
            c.out.writeLong(IHAVEOPT);
            c.out.writeInt(OPT_GO);
            c.out.writeInt(0x7fff_ffff);
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
        assertServerStillServes();
    }

    @Test
    void listAndAbort() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.option(OPT_LIST, new byte[0]);
            List<String> names = new ArrayList<>();
            for (RawNbdClient.OptionReply r = c.optionReply(); r.type() != REP_ACK; r = c.optionReply()) {
                assertThat(r.type()).isEqualTo(REP_SERVER);
                names.add(new String(r.data(), 4, r.data().length - 4));
            }
            assertThat(names).containsExactly("rw", "ro");
            c.option(OPT_ABORT, new byte[0]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ACK);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void outOfRangeHugeAndUnknownRequestsGetErrorReplies() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.go("rw");
            c.request(CMD_READ, 1, SIZE - 2, 4);
            assertThat(c.reply(1)).isEqualTo(EINVAL);
            c.request(CMD_READ, 2, 0, 0xFFFF_FFFFL);
            assertThat(c.reply(2)).isEqualTo(EINVAL);
            c.request(CMD_READ, 3, Long.MIN_VALUE, 4);
            assertThat(c.reply(3)).isEqualTo(EINVAL);
            c.request(99, 4, 0, 4);
            assertThat(c.reply(4)).isEqualTo(EINVAL);
            c.request(CMD_WRITE, 5, SIZE - 2, 4);
            c.out.write(new byte[4]);
            c.out.flush();
            assertThat(c.reply(5)).isEqualTo(ENOSPC); // payload consumed: the stream stays in step
            c.request(CMD_WRITE_ZEROES, 6, SIZE, 1);
            assertThat(c.reply(6)).isEqualTo(ENOSPC);
            c.request(CMD_WRITE, 8, 100, 3);
            c.out.write(new byte[] {9, 9, 9});
            c.out.flush();
            assertThat(c.reply(8)).isZero();
            c.request(CMD_FLUSH, 9, 0, 0);
            assertThat(c.reply(9)).isZero();
            c.request(CMD_DISC, 10, 0, 0);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(writes).hasSize(1);
        assertThat(writes.getFirst()).containsExactly(100, 3);
        assertThat(writtenBytes.getFirst()).containsExactly(9, 9, 9);
        byte[] b = new byte[3];
        disk.read(100, b, 0, 3);
        assertThat(b).containsOnly(9);
        assertServerStillServes();
    }

    @Test
    void writesToAReadOnlyExportGetEpermAndChangeNothing() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.go("ro");
            c.request(CMD_WRITE, 1, 0, 4);
            c.out.write(new byte[] {7, 7, 7, 7});
            c.out.flush();
            assertThat(c.reply(1)).isEqualTo(EPERM);
            c.request(CMD_TRIM, 2, 0, 4);
            assertThat(c.reply(2)).isEqualTo(EPERM);
            c.request(CMD_WRITE_ZEROES, 3, 0, 4);
            assertThat(c.reply(3)).isEqualTo(EPERM);
        }
        assertThat(writes).isEmpty();
        assertServerStillServes();
    }

    @Test
    void hugeWritesBadMagicAndEarlyDisconnectsCloseOnlyThatClient() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.go("rw");
            c.request(CMD_WRITE, 1, 0, 0xF000_0000L);
            assertThat(c.reply(1)).isEqualTo(EINVAL);
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.go("rw");
            c.out.writeInt(0x12345678);
            c.out.write(new byte[24]);
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.go("rw");
            c.request(CMD_WRITE, 1, 0, 65536);
            c.out.write(new byte[1000]); // then vanish mid-payload
            c.out.flush();
        }
        try (RawNbdClient c = new RawNbdClient(server.port())) {
            c.in.readNBytes(5); // vanish mid-greeting
        }
        assertServerStillServes();
        byte[] b = new byte[4];
        disk.read(0, b, 0, 4);
        assertThat(b).containsExactly(1, 2, 3, 4);
        assertThat(writes).isEmpty();
    }

    @Test
    void randomGarbageFromManyClientsNeverStopsTheServer() throws Exception {
        java.util.Random rnd = new java.util.Random(11);
        for (int round = 0; round < 100; round++) {
            try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
                c.go(round % 2 == 0 ? "ro" : "rw");
                for (int k = rnd.nextInt(5); k > 0; k--) {
                    if (rnd.nextBoolean()) {
                        long length = rnd.nextBoolean() ? rnd.nextInt(70_000) : rnd.nextInt() & 0xFFFF_FFFFL;
                        c.request(rnd.nextInt(10), k, rnd.nextBoolean() ? rnd.nextLong() : rnd.nextLong(SIZE), length);
                    } else {
                        byte[] junk = new byte[rnd.nextInt(64)];
                        rnd.nextBytes(junk);
                        c.out.write(junk);
                    }
                }
                c.out.flush();
            } catch (java.io.IOException e) {
                // the server may hang up on us mid-garbage: that is allowed
            }
        }
        assertServerStillServes();
    }

    @Test
    void oldStyleExportNameSelectsTheDefaultExport() throws Exception {
        try (RawNbdClient c = new RawNbdClient(server.port()).hello()) {
            c.option(OPT_EXPORT_NAME, new byte[0]);
            assertThat(c.in.readLong()).isEqualTo(SIZE);
            int flags = c.in.readShort() & 0xFFFF;
            assertThat(flags & TFLAG_READ_ONLY).isZero();
            c.request(CMD_READ, 1, 2, 2);
            assertThat(c.reply(1)).isZero();
            assertThat(Arrays.asList(c.in.readByte(), c.in.readByte())).containsExactly((byte) 3, (byte) 4);
        }
    }

    @Test
    void silentClientsAreDisconnectedSoTheyCannotHoldEverySlot() throws Exception {
        server.close();
        server = NbdServer.start(InetAddress.getLoopbackAddress(), 0, List.of(NbdExport.readWrite("rw", disk, (o, l) -> {})),
                Duration.ofMillis(200));
        List<RawNbdClient> silent = new ArrayList<>();
        try {
            for (int i = 0; i < NbdServer.MAX_CLIENTS; i++) {
                RawNbdClient c = new RawNbdClient(server.port()).hello();
                silent.add(c);
                assertThat(c.go("rw")).isEqualTo(SIZE);
            }
            try (RawNbdClient extra = new RawNbdClient(server.port())) {
                assertThat(extra.in.read()).as("every slot is taken: hung up on accept").isEqualTo(-1);
            }
            for (RawNbdClient c : silent) {
                // Without an idle timeout this read waits for the client's own 10 s timeout and throws.
                assertThat(c.in.read()).as("the server hangs up on a silent client").isEqualTo(-1);
            }
        } finally {
            for (RawNbdClient c : silent) {
                c.close();
            }
        }
        assertServerStillServes();
    }
}
