package dev.vmtree.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.MachineType;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.mem.Bus;
import dev.vmtree.cow.disk.VirtualDisk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Capture, restore, the canonical encoding (docs/format.md, "Machine state") and the StateId. */
class MachineStateTest {
    private static final long CODE = Bus.RAM_BASE + 0x20_0000;

    /** A supervisor machine of the current type with a disk and every virtio device, looping over a counter in RAM. */
    private static Machine machine() {
        return machine(MachineType.CURRENT);
    }

    private static Machine machine(MachineType type) {
        Asm a = new Asm();
        a.li(Asm.T0, Bus.RAM_BASE + 0x30_0000).label("loop").ld(Asm.T1, Asm.T0, 0).addi(Asm.T1, Asm.T1, 1)
                .sd(Asm.T1, Asm.T0, 0).j("loop");
        VirtualDisk disk = VirtualDisk.blank(1 << 20);
        disk.write(4096, new byte[] {1, 2, 3}, 0, 3);
        Machine m = new Machine(new MachineConfig(4 << 20, 2, false, "quiet", List.of(new Platform.Disk(disk, false, "d0")),
                true, true).withType(type), new dev.vmtree.cow.InMemoryPagedImage(4 << 20, 4096), Console.NONE,
                ExternalInput.NONE);
        byte[] code = a.bytes();
        m.memory().writeRam(CODE, code, 0, code.length);
        m.hart(0).startSupervisor(CODE, 0, 0);
        return m;
    }

    @Test
    void aRestoredMachineContinuesExactlyAndTheSourceIsUntouched() {
        Machine m = machine();
        m.run(12_345);
        MachineState s = m.capture();
        m.run(1000);
        Machine r = Machine.restore(s, Console.NONE, ExternalInput.NONE);
        assertThat(r.instructions()).isEqualTo(12_345);
        assertThat(r.capture().stateId()).isEqualTo(s.stateId());
        r.run(1000);
        assertThat(r.capture().stateId()).isEqualTo(m.capture().stateId());
        byte[] d = new byte[3];
        s.disks().getFirst().read(4096, d, 0, 3);
        assertThat(d).containsExactly(1, 2, 3);
    }

    @Test
    void aVersion2EncodingNamesItsTypeAndClockAndRoundTripsFloatingPointState() {
        Machine m = new Machine(new MachineConfig(4 << 20, 1, false, "").withClockBase(1_700_000_000_000_000_000L),
                Console.NONE);
        m.hart(0).restore(m.hart(0).save().withFp(fregs(), 0x7F));
        ExecutionState e = m.executionState();
        byte[] b = StateCodec.encode(e);
        assertThat(StateCodec.decode(b)).isEqualTo(e);
        assertThat(StateCodec.decode(b).harts().getFirst().freg(31)).isEqualTo(31L << 40);
        assertThat(StateCodec.decode(b).harts().getFirst().fcsr()).isEqualTo(0x7F);
        assertThat(StateCodec.decode(b).layout().clockBase()).isEqualTo(1_700_000_000_000_000_000L);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b[4]).isEqualTo((byte) 2);
        assertThat(bb.getInt(5)).isEqualTo("vmtree-virt-2".length());
        assertThat(new String(b, 9, 13)).isEqualTo("vmtree-virt-2");
        assertThat(bb.getLong(22)).isEqualTo(1_700_000_000_000_000_000L);
        assertThat(bb.getLong(30)).isEqualTo(4 << 20);       // then version 1's fields: memory bytes ...
        int rtc = 4 + 1 + 4 + (8 + 4 + 8 + 3), genId = 4 + 1 + 4 + 17;
        int sections = b.length - (4 + 4 + 1 + 4 + (32 * 8 + 4) + rtc + genId);
        assertThat(bb.getInt(sections)).as("three sections").isEqualTo(3);
        assertThat(new String(b, sections + 4, 4)).isEqualTo("FPRS");
        assertThat(new String(b, b.length - genId - rtc, 4)).isEqualTo("GFRT");
        assertThat(new String(b, b.length - genId, 4)).isEqualTo("VGID");
    }

    @Test
    void aVirt1MachineHasNoFloatingPointStateToEncode() {
        Machine m = machine(MachineType.VIRT_1);
        ExecutionState e = m.executionState();
        assertThatThrownBy(() -> m.hart(0).restore(e.harts().getFirst().withFp(fregs(), 0)))
                .hasMessageContaining("no F/D");
    }

    private static long[] fregs() {
        long[] f = new long[32];
        for (int i = 0; i < 32; i++) {
            f[i] = (long) i << 40;
        }
        return f;
    }

    @Test
    void theEncodingRoundTripsAndStartsWithTheDocumentedHeader() {
        Machine m = machine(MachineType.VIRT_1);
        m.run(5000);
        ExecutionState e = m.executionState();
        byte[] b = StateCodec.encode(e);
        assertThat(StateCodec.decode(b)).isEqualTo(e);
        assertThat(StateCodec.encode(StateCodec.decode(b))).isEqualTo(b);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(Arrays.copyOf(b, 4)).isEqualTo("VMTS".getBytes());
        assertThat(b[4]).isEqualTo((byte) 1);
        assertThat(bb.getLong(5)).isEqualTo(4 << 20);        // memory bytes
        assertThat(bb.getInt(13)).isEqualTo(2);              // harts
        assertThat(b[17]).isEqualTo((byte) 0);               // machine mode
        assertThat(bb.getInt(18)).isEqualTo(5);              // bootargs length
    }

    @Test
    void aHaltedMachineStaysHaltedAfterRestore() {
        Asm a = new Asm().li(Asm.T0, Platform.SYSCON).li(Asm.T1, 0x5555).sw(Asm.T1, Asm.T0, 0).label("spin").j("spin");
        Machine m = new Machine(new MachineConfig(4 << 20, 1, false, ""), Console.NONE);
        byte[] code = a.bytes();
        m.memory().writeRam(CODE, code, 0, code.length);
        m.hart(0).startSupervisor(CODE, 0, 0);
        assertThat(m.run(1000).reason()).isEqualTo(StopReason.SHUTDOWN);
        MachineState s = m.capture();
        assertThat(s.execution().halted()).isEqualTo(StopReason.SHUTDOWN);
        RunResult again = Machine.restore(s, Console.NONE).run(1000);
        assertThat(again.reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(again.executed()).isZero();
    }

    @Test
    void badEncodingsAreRejectedWithOneLine() {
        for (MachineType type : MachineType.values()) {
            badEncodingsAreRejectedWithOneLine(type);
        }
    }

    private static void badEncodingsAreRejectedWithOneLine(MachineType type) {
        Machine m = machine(type);
        m.run(100);
        byte[] good = StateCodec.encode(m.executionState());
        int header = type == MachineType.VIRT_1 ? 0 : 4 + type.id().length() + 8;
        byte[] magic = good.clone();
        magic[0] = 'X';
        byte[] version = good.clone();
        version[4] = 9;
        byte[] harts = good.clone();
        ByteBuffer.wrap(harts).order(ByteOrder.LITTLE_ENDIAN).putInt(13 + header, 1000);
        byte[] downgraded = good.clone(); // a version 2 body read as version 1, or the reverse
        downgraded[4] = (byte) (type == MachineType.VIRT_1 ? 2 : 1);
        byte[] section = good.clone();
        if (type != MachineType.VIRT_1) {
            section[good.length - 26 - 32 - (32 * 8 + 4) * 2 - 4 - 1 - 4] ^= 1; // the FPRS section tag
        } else {
            section = Arrays.copyOf(good, good.length + 4); // version 1 has no sections: trailing bytes
        }
        for (byte[] bad : List.of(magic, version, harts, downgraded, section, Arrays.copyOf(good, good.length - 1),
                Arrays.copyOf(good, good.length + 1), Arrays.copyOf(good, 10), new byte[0])) {
            assertThatThrownBy(() -> StateCodec.decode(bad)).isInstanceOf(dev.vmtree.core.CorruptDataException.class)
                    .hasMessageStartingWith("machine state").satisfies(t -> assertThat(t.getMessage()).doesNotContain("\n"));
        }
    }

    @Test
    void theStateIdCoversRegistersDevicesClockAndEveryImage() {
        Machine m = machine();
        m.run(777);
        String id = m.capture().stateId();
        assertThat(id).matches("[0-9a-f]{64}");

        Machine reg = Machine.restore(m.capture(), Console.NONE, ExternalInput.NONE);
        reg.hart(1).setReg(5, 42);
        Machine disk = Machine.restore(m.capture(), Console.NONE, ExternalInput.NONE);
        ((VirtualDisk) disk.config().disks().getFirst().device()).write(0, new byte[] {9}, 0, 1);
        Machine uart = Machine.restore(m.capture(), Console.NONE, ExternalInput.NONE);
        uart.platform().uart().write(7, 1, 0x5A);    // scratch register
        for (Machine changed : List.of(reg, disk, uart)) {
            assertThat(changed.capture().stateId()).isNotEqualTo(id);
        }
        assertThat(Machine.restore(m.capture(), Console.NONE, ExternalInput.NONE).capture().stateId()).isEqualTo(id);
    }
}
