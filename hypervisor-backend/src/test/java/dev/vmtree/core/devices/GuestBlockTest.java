package dev.vmtree.core.devices;

import static dev.vmtree.core.Asm.A0;
import static dev.vmtree.core.Asm.S0;
import static dev.vmtree.core.Asm.T0;
import static dev.vmtree.core.Asm.T1;
import static dev.vmtree.core.Asm.T2;
import static dev.vmtree.core.Asm.T3;
import static dev.vmtree.core.Asm.T4;
import static dev.vmtree.core.Asm.T5;
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
import dev.vmtree.cow.disk.VirtualDisk;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A real guest on the real core drives virtio-blk through the Platform mapped on the Machine's
 * bus (the wiring issue 4 will make permanent): it negotiates, sets up queue 0, writes a 1 KiB
 * pattern to sector 8, reads it back into another buffer and compares, all by MMIO and polling.
 */
class GuestBlockTest {
    static final long HDR_OUT = 0x8008_0000L, HDR_IN = HDR_OUT + 16, STATUS = HDR_OUT + 32;
    static final long BUF_OUT = 0x8008_1000L, BUF_IN = 0x8008_2000L;
    static final long DESC = 0x8009_0000L, AVAIL = 0x8009_1000L, USED = 0x8009_2000L;
    static final int LEN = 1024;

    private static Asm program() {
        Asm a = new Asm();
        a.li(S0, Platform.VIRTIO);
        for (int st : new int[] {0, 1, 3}) {
            a.li(T0, st).sw(T0, S0, 0x70);
        }
        a.li(T0, 1).sw(T0, S0, 0x24).sw(T0, S0, 0x20); // VIRTIO_F_VERSION_1: bit 0 of page 1
        a.li(T0, 11).sw(T0, S0, 0x70).lw(T1, S0, 0x70).andi(T1, T1, 8).beq(T1, ZERO, "fail");
        a.sw(ZERO, S0, 0x30).li(T0, 8).sw(T0, S0, 0x38);
        a.li(T0, DESC).sw(T0, S0, 0x80).sw(ZERO, S0, 0x84);
        a.li(T0, AVAIL).sw(T0, S0, 0x90).sw(ZERO, S0, 0x94);
        a.li(T0, USED).sw(T0, S0, 0xA0).sw(ZERO, S0, 0xA4);
        a.li(T0, 1).sw(T0, S0, 0x44).lw(T1, S0, 0x44).beq(T1, ZERO, "fail");
        a.li(T0, 15).sw(T0, S0, 0x70);
        // the pattern: BUF_OUT[i] = 7i + 3
        a.li(T1, BUF_OUT).li(T2, 0).li(T3, LEN);
        a.label("fill").slli(T4, T2, 3).sub(T4, T4, T2).addi(T4, T4, 3).add(T5, T1, T2).sb(T4, T5, 0)
                .addi(T2, T2, 1).blt(T2, T3, "fill");
        // write request: chain 0, avail idx 1, notify, wait for used idx 1
        a.li(T1, AVAIL).store(1, ZERO, T1, 4).li(T0, 1).store(1, T0, T1, 2).sw(ZERO, S0, 0x50);
        a.li(T1, USED).label("wait1").load(5, T0, T1, 2).li(T2, 1).bne(T0, T2, "wait1");
        // read request: chain 3, avail idx 2
        a.li(T1, AVAIL).li(T0, 3).store(1, T0, T1, 6).li(T0, 2).store(1, T0, T1, 2).sw(ZERO, S0, 0x50);
        a.li(T1, USED).label("wait2").load(5, T0, T1, 2).li(T2, 2).bne(T0, T2, "wait2");
        // both statuses OK and the buffers equal
        a.li(T1, STATUS).lbu(T0, T1, 0).bne(T0, ZERO, "fail").lbu(T0, T1, 1).bne(T0, ZERO, "fail");
        a.li(T1, BUF_OUT).li(A0, BUF_IN).li(T2, 0).li(T3, LEN);
        a.label("cmp").add(T4, T1, T2).lbu(T4, T4, 0).add(T5, A0, T2).lbu(T5, T5, 0).bne(T4, T5, "fail")
                .addi(T2, T2, 1).blt(T2, T3, "cmp");
        TestMachines.pass(a);
        a.label("fail");
        return TestMachines.exitCode(a, 3);
    }

    private static byte[] desc(long addr, int len, int flags, int next) {
        byte[] d = new byte[16];
        for (int k = 0; k < 8; k++) {
            d[k] = (byte) (addr >>> (8 * k));
        }
        for (int k = 0; k < 4; k++) {
            d[8 + k] = (byte) (len >>> (8 * k));
        }
        d[12] = (byte) flags;
        d[14] = (byte) next;
        return d;
    }

    private static void put(Machine m, long pa, byte[] b) {
        assertThat(m.memory().writeRam(pa, b, 0, b.length)).isTrue();
    }

    @Test
    void aGuestWritesAndReadsBackAPatternOnVirtioBlk() {
        VirtualDisk disk = VirtualDisk.blank(1 << 20);
        // the disk comes from the configuration: the Machine builds and maps the platform with it
        Machine m = new Machine(new MachineConfig(1 << 20, 1, true, "", List.of(new Disk(disk, false, "guest"))),
                Console.NONE);
        byte[] code = program().bytes();
        m.memory().writeRam(TestMachines.CODE, code, 0, code.length);
        m.enableHtif(TestMachines.TOHOST);
        m.hart(0).setPrivilege(Hart.PRIV_M);
        m.hart(0).setPc(TestMachines.CODE);
        Platform p = m.platform();
        // the program's data: two request headers (OUT and IN at sector 8), 0xFF status bytes, six descriptors
        put(m, HDR_OUT, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0});
        put(m, HDR_IN, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0});
        put(m, STATUS, new byte[] {-1, -1});
        put(m, DESC, desc(HDR_OUT, 16, 1, 1));
        put(m, DESC + 16, desc(BUF_OUT, LEN, 1, 2));
        put(m, DESC + 32, desc(STATUS, 1, 2, 0));
        put(m, DESC + 48, desc(HDR_IN, 16, 1, 4));
        put(m, DESC + 64, desc(BUF_IN, LEN, 3, 5));
        put(m, DESC + 80, desc(STATUS + 1, 1, 2, 0));

        RunResult r = TestMachines.run(m);
        assertThat(r.reason()).as("run result %s", r).isEqualTo(StopReason.SHUTDOWN);
        byte[] onDisk = new byte[LEN];
        disk.read(8 * 512, onDisk, 0, LEN);
        for (int i = 0; i < LEN; i++) {
            assertThat(onDisk[i]).as("disk byte %d", i).isEqualTo((byte) (7 * i + 3));
        }
        assertThat(p.virtio().get(0).status()).isEqualTo(15);
        assertThat(p.plic().save().levels()[0]).isEqualTo(1 << 1); // the used-buffer interrupt is up
    }
}
