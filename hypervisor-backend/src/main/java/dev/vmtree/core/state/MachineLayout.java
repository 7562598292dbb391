package dev.vmtree.core.state;

import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.MachineType;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.cow.disk.BlockDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a machine without its contents: what {@link MachineConfig} says minus the disk
 * devices themselves. A captured state carries it, so a restore rebuilds the same machine.
 */
public record MachineLayout(long memoryBytes, int harts, boolean machineMode, String bootargs, List<DiskInfo> disks,
                            boolean virtioConsole, boolean entropy, MachineType type, long clockBase,
                            List<MachineConfig.Nic> nics) {

    /** One virtio-blk disk: its size in bytes, whether the guest may write it, its serial. */
    public record DiskInfo(long size, boolean readOnly, String serial) {
        public DiskInfo {
            Objects.requireNonNull(serial, "serial");
            if (size < 0) {
                throw new IllegalArgumentException("negative disk size " + size);
            }
        }
    }

    public MachineLayout {
        Objects.requireNonNull(bootargs, "bootargs");
        Objects.requireNonNull(type, "type");
        disks = List.copyOf(disks);
        nics = nics == null ? List.of() : List.copyOf(nics);
    }

    /** A layout without network cards. */
    public MachineLayout(long memoryBytes, int harts, boolean machineMode, String bootargs, List<DiskInfo> disks,
                         boolean virtioConsole, boolean entropy, MachineType type, long clockBase) {
        this(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, type, clockBase, List.of());
    }

    /** This layout with these network cards. */
    public MachineLayout withNics(List<MachineConfig.Nic> newNics) {
        return new MachineLayout(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, type, clockBase,
                newNics);
    }

    public static MachineLayout of(MachineConfig c) {
        List<DiskInfo> d = new ArrayList<>();
        for (Platform.Disk disk : c.disks()) {
            d.add(new DiskInfo(disk.device().size(), disk.readOnly(), disk.serial()));
        }
        return new MachineLayout(c.memoryBytes(), c.harts(), c.machineMode(), c.bootargs(), d, c.virtioConsole(),
                c.entropy(), c.type(), c.clockBase(), c.nics());
    }

    /** The configuration with these disk devices (sizes must match). */
    public MachineConfig toConfig(List<? extends BlockDevice> devices) {
        if (devices.size() != disks.size()) {
            throw new IllegalArgumentException("layout has " + disks.size() + " disks, given " + devices.size());
        }
        List<Platform.Disk> d = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            DiskInfo info = disks.get(i);
            if (devices.get(i).size() != info.size()) {
                throw new IllegalArgumentException("disk " + i + " has " + devices.get(i).size() + " bytes, layout says "
                        + info.size());
            }
            d.add(new Platform.Disk(devices.get(i), info.readOnly(), info.serial()));
        }
        return new MachineConfig(memoryBytes, harts, machineMode, bootargs, d, virtioConsole, entropy, type, clockBase,
                nics);
    }
}
