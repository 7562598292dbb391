package dev.vmtree.core.devices;

import static dev.vmtree.core.Asm.S0;
import static dev.vmtree.core.Asm.S1;
import static dev.vmtree.core.Asm.S2;
import static dev.vmtree.core.Asm.T0;
import static dev.vmtree.core.Asm.T1;
import static dev.vmtree.core.Asm.ZERO;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.TestMachines;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.devices.Platform.Disk;
import dev.vmtree.core.devices.virtio.VirtioBlock;
import dev.vmtree.cow.disk.BlockDevice;
import dev.vmtree.cow.disk.VirtualDisk;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile guests against virtio-blk on the real core (issue 12, the host's safety): a guest that
 * keeps the available ring full of one giant chain and notifies in a loop makes the host copy a
 * bounded number of bytes per instruction, and a stop asked for in the middle of that device work
 * ends the run within one check point. Bounds are counted in bytes and instructions, never time.
 */
class HostileBlockGuestTest {
    static final long HDR = 0x8008_0000L, STATUS = HDR + 0x100, BUF = 0x8010_0000L;
    static final long DESC = 0x8009_0000L, AVAIL = 0x8009_1000L, USED = 0x8009_2000L;
    static final int QUEUE = 256;

    /** A disk that counts the bytes read from it and fails the test past a limit (so a stall ends at once). */
    static final class CountingDisk implements BlockDevice {
        final VirtualDisk disk;
        final long limit;
        long read;
        Runnable onRead = () -> {};

        CountingDisk(long size, long limit) {
            this.disk = VirtualDisk.blank(size);
            this.limit = limit;
        }

        @Override
        public long size() {
            return disk.size();
        }

        @Override
        public boolean readOnly() {
            return false;
        }

        @Override
        public void read(long offset, byte[] dst, int dstOff, int len) {
            read += len;
            if (read > limit) {
                throw new AssertionError("the host read more than " + limit + " bytes of disk");
            }
            onRead.run();
            disk.read(offset, dst, dstOff, len);
        }

        @Override
        public void write(long offset, byte[] src, int srcOff, int len) {
            disk.write(offset, src, srcOff, len);
        }

        @Override
        public void writeZeroes(long offset, long len) {
            disk.writeZeroes(offset, len);
        }
    }

    /** Sets up queue 0 with 256 entries, then forever: available index = used index + 256, notify. */
    private static Asm floodingGuest() {
        Asm a = new Asm();
        a.li(S0, Platform.VIRTIO);
        for (int st : new int[] {0, 1, 3}) {
            a.li(T0, st).sw(T0, S0, 0x70);
        }
        a.li(T0, 1).sw(T0, S0, 0x24).sw(T0, S0, 0x20);
        a.li(T0, 11).sw(T0, S0, 0x70);
        a.sw(ZERO, S0, 0x30).li(T0, QUEUE).sw(T0, S0, 0x38);
        a.li(T0, DESC).sw(T0, S0, 0x80).sw(ZERO, S0, 0x84);
        a.li(T0, AVAIL).sw(T0, S0, 0x90).sw(ZERO, S0, 0x94);
        a.li(T0, USED).sw(T0, S0, 0xA0).sw(ZERO, S0, 0xA4);
        a.li(T0, 1).sw(T0, S0, 0x44);
        a.li(T0, 15).sw(T0, S0, 0x70);
        a.li(S1, AVAIL).li(S2, USED);
        // every ring entry is 0 (zeroed RAM): the same head, up to 256 times
        a.label("flood").load(5, T0, S2, 2).addi(T0, T0, QUEUE).store(1, T0, S1, 2).sw(ZERO, S0, 0x50).j("flood");
        return a;
    }

    private static void desc(Machine m, int i, long addr, long len, int flags, int next) {
        byte[] d = new byte[16];
        for (int k = 0; k < 8; k++) {
            d[k] = (byte) (addr >>> (8 * k));
        }
        for (int k = 0; k < 4; k++) {
            d[8 + k] = (byte) (len >>> (8 * k));
        }
        d[12] = (byte) flags;
        d[14] = (byte) next;
        d[15] = (byte) (next >>> 8);
        assertThat(m.memory().writeRam(DESC + 16L * i, d, 0, 16)).isTrue();
    }

    /**
     * A 128 MiB machine flooding disk reads whose chain 0 is a header, {@value VirtioBlock#SEG_MAX}
     * writable segments of {@code segment} bytes over the same RAM, and the status byte.
     */
    private static Machine flood(CountingDisk disk, long segment) {
        Machine m = new Machine(new MachineConfig(128 << 20, 1, true, "", List.of(new Disk(disk, false, "hostile"))),
                Console.NONE);
        byte[] code = floodingGuest().bytes();
        m.memory().writeRam(TestMachines.CODE, code, 0, code.length);
        m.hart(0).setPrivilege(Hart.PRIV_M);
        m.hart(0).setPc(TestMachines.CODE);
        desc(m, 0, HDR, 16, 1, 1); // T_IN at sector 0: the header is all zero
        for (int i = 1; i <= VirtioBlock.SEG_MAX; i++) {
            desc(m, i, BUF, segment, 3, i + 1);
        }
        desc(m, QUEUE - 1, STATUS, 1, 2, 0);
        return m;
    }

    @Test
    void aGuestFloodingLegalSixteenMebibyteReadsGetsOnePerCheckPoint() {
        CountingDisk disk = new CountingDisk(32 << 20, 1L << 30);
        Machine m = flood(disk, VirtioBlock.SIZE_MAX);
        int checkPoints = 10;
        RunResult r = m.run((long) checkPoints * Machine.CHECK_INTERVAL);
        assertThat(r.reason()).isEqualTo(StopReason.BUDGET_EXHAUSTED);
        long request = (long) VirtioBlock.SEG_MAX * VirtioBlock.SIZE_MAX;
        // before pacing, the first notification alone read 256 requests: 4 GiB
        assertThat(disk.read).isBetween((checkPoints - 2) * request, checkPoints * request);
        byte[] used = new byte[2];
        m.memory().readRam(USED + 2, used, 0, 2);
        assertThat(((used[0] & 0xFF) | (used[1] & 0xFF) << 8) * request).as("used index").isEqualTo(disk.read);
    }

    @Test
    void theIssuesThirtyGibibyteChainsReadNothingAndTheClockRunsOn() {
        // 254 segments of 120 MiB over the same RAM: each over size_max, so IOERR before a byte moves
        CountingDisk disk = new CountingDisk(32L << 30, 64 << 20);
        Machine m = flood(disk, 120 << 20);
        RunResult r = m.run(10 * Machine.CHECK_INTERVAL);
        assertThat(r.reason()).isEqualTo(StopReason.BUDGET_EXHAUSTED);
        assertThat(r.executed()).isEqualTo(10 * Machine.CHECK_INTERVAL);
        assertThat(disk.read).isZero();
        byte[] status = new byte[1];
        m.memory().readRam(STATUS, status, 0, 1);
        assertThat(status[0]).isEqualTo((byte) VirtioBlock.S_IOERR);
    }

    @Test
    void aStopAskedForDuringDeviceWorkEndsTheRunWithinACheckPoint() {
        CountingDisk disk = new CountingDisk(32 << 20, 1L << 30);
        Machine m = flood(disk, VirtioBlock.SIZE_MAX);
        long[] askedAt = {-1};
        disk.onRead = () -> {
            if (askedAt[0] < 0) {
                askedAt[0] = m.now();
                m.interrupt();     // as a signal handler or the --timeout timer would, from another thread
            }
        };
        RunResult r = m.run(1L << 30);
        assertThat(askedAt[0]).isPositive();
        assertThat(r.reason()).isEqualTo(StopReason.BUDGET_EXHAUSTED);
        assertThat(m.instructions()).isLessThanOrEqualTo(askedAt[0] + Machine.CHECK_INTERVAL);
        // the first request is finished (a stop never cuts a request in half), and nothing more was read
        assertThat(disk.read).isEqualTo((long) VirtioBlock.SEG_MAX * VirtioBlock.SIZE_MAX);
        assertThat(m.run(1).executed()).as("still interrupted").isZero();
        m.clearInterrupt();
        assertThat(m.run(Machine.CHECK_INTERVAL).executed()).isEqualTo(Machine.CHECK_INTERVAL);
    }
}
