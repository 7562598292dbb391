package dev.vmtree.core.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
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

    /** A supervisor machine with a disk and every virtio device, looping over a counter in RAM. */
    private static Machine machine() {
        Asm a = new Asm();
        a.li(Asm.T0, Bus.RAM_BASE + 0x30_0000).label("loop").ld(Asm.T1, Asm.T0, 0).addi(Asm.T1, Asm.T1, 1)
                .sd(Asm.T1, Asm.T0, 0).j("loop");
        VirtualDisk disk = VirtualDisk.blank(1 << 20);
        disk.write(4096, new byte[] {1, 2, 3}, 0, 3);
        Machine m = new Machine(new MachineConfig(4 << 20, 2, false, "quiet", List.of(new Platform.Disk(disk, false, "d0")),
                true, true), new dev.vmtree.cow.InMemoryPagedImage(4 << 20, 4096), Console.NONE, ExternalInput.NONE);
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
    void theEncodingRoundTripsAndStartsWithTheDocumentedHeader() {
        Machine m = machine();
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
        Machine m = machine();
        m.run(100);
        byte[] good = StateCodec.encode(m.executionState());
        byte[] magic = good.clone();
        magic[0] = 'X';
        byte[] version = good.clone();
        version[4] = 9;
        byte[] harts = good.clone();
        ByteBuffer.wrap(harts).order(ByteOrder.LITTLE_ENDIAN).putInt(13, 1000);
        for (byte[] bad : List.of(magic, version, harts, Arrays.copyOf(good, good.length - 1),
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
