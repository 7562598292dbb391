package dev.vmtree.core.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.MachineType;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.mem.Bus;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.disk.VirtualDisk;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The StateId of one fixed state of each machine type, pinned as a literal: any change to the
 * machine-state encoding, the device records, the page trees or the StateId's own construction
 * changes these and fails here, so no encoding change can slip through unnoticed. A change that is
 * meant must come with a new format version (docs/format.md) that leaves older machines' ids as
 * they are; only then may a pin for the new version be added, never an old one edited.
 */
class PinnedStateIdTest {
    /** A fixed machine: two harts, a disk, every virtio device, known RAM, registers and (on VIRT_2) FP state. */
    private static MachineState fixed(MachineType type) {
        return fixed(type, false);
    }

    private static MachineState fixed(MachineType type, boolean nic) {
        VirtualDisk disk = VirtualDisk.blank(1 << 20);
        disk.write(8192, new byte[] {7, 8, 9}, 0, 3);
        MachineConfig config = new MachineConfig(1 << 20, 2, false, "console=ttyS0",
                List.of(new Platform.Disk(disk, false, "pinned")), true, true).withType(type);
        if (type.linuxDevices()) {
            config = config.withClockBase(1_767_225_600_000_000_000L); // 2026-01-01T00:00:00Z
        }
        if (nic) {
            config = config.withNics(List.of(new MachineConfig.Nic(new byte[] {0x02, 0x76, 0x6d, 0x74, 0x01, 0x02})));
        }
        Machine m = new Machine(config, new InMemoryPagedImage(1 << 20, 4096), Console.NONE, ExternalInput.NONE);
        byte[] page = new byte[4096];
        for (int i = 0; i < page.length; i++) {
            page[i] = (byte) (i * 31 + 7);
        }
        m.memory().writeRam(Bus.RAM_BASE + 0x3000, page, 0, page.length);
        m.hart(0).startSupervisor(Bus.RAM_BASE + 0x20_0000 & 0xFFFF_FFFFL, 0, 0x1234);
        for (int r = 1; r < 32; r++) {
            m.hart(0).setReg(r, 0x0101_0101_0101_0101L * r);
        }
        if (type.floatingPoint()) {
            long[] f = new long[32];
            for (int r = 0; r < 32; r++) {
                f[r] = Double.doubleToRawLongBits(r + 0.5);
            }
            m.hart(1).restore(m.hart(1).save().withFp(f, 0x41));
            byte[] id = new byte[16];
            for (int i = 0; i < id.length; i++) {
                id[i] = (byte) (0xA0 + i);
            }
            m.setGenerationId(id);
            m.platform().rtc().write(0x10, 4, 1);            // the alarm interrupt enabled
        }
        if (nic) {
            byte[] frame = new byte[60];
            for (int i = 0; i < frame.length; i++) {
                frame[i] = (byte) (i * 7 + 1);
            }
            m.networkCard().deliverFrame(frame);              // waits in the card: its driver has not started
        }
        return m.capture();
    }

    /** The same literal comes out of vmtree before F/D existed (commit 5e37042), where every machine was this type. */
    @Test
    void theStateIdOfAFixedVirt1StateNeverChanges() {
        assertThat(fixed(MachineType.VIRT_1).stateId()).isEqualTo("38f3b456f57165592f5217a3d79b5b99b4a09877cb4b46dfabe65d0f0dcb0a7e");
    }

    @Test
    void theStateIdOfAFixedVirt2StateNeverChanges() {
        assertThat(fixed(MachineType.VIRT_2).stateId()).isEqualTo("e905538f0a9e1445df49e40b23e7566209ebdd5d762314b6c4fb7326d837c3c1");
    }

    /** A network card adds the NICS section and a virtio-net record; machines without one keep the pin above. */
    @Test
    void theStateIdOfAFixedVirt2StateWithANetworkCardNeverChanges() {
        assertThat(fixed(MachineType.VIRT_2, true).stateId()).isEqualTo("f5d236c3d619402b98e19fe1d089d7a53cae8eb4e80b92934054f943ac970493");
    }
}
