package dev.vmtree.core;

import dev.vmtree.core.devices.Platform;
import java.util.List;

/**
 * How a machine is built. {@code machineMode}: the guest starts in M-mode with no SBI (bare metal,
 * riscv-tests, firmware); otherwise the hypervisor serves SBI and the guest starts in S-mode.
 *
 * @param memoryBytes RAM size, a positive multiple of 4 KiB, at most 64 GiB
 * @param harts number of harts, 1..64
 * @param bootargs kernel command line for the device tree's /chosen node (may be empty)
 * @param disks virtio-blk disks in slot order (empty by default)
 * @param virtioConsole a virtio console after the disks (console input then goes to it once its driver is ready)
 * @param entropy a virtio entropy device last; its bytes come from the machine's input and are logged
 * @param type the machine type: ISA, device set and state encoding (kept for the machine's life)
 * @param clockBase the real-time clock's reading at instruction 0, in nanoseconds since the Unix
 *     epoch (the guest sees this plus virtual time; VIRT_1 machines have no RTC and keep 0)
 * @param nics virtio-net cards after every other virtio device (at most {@link #MAX_NICS}; not on VIRT_1)
 */
public record MachineConfig(long memoryBytes, int harts, boolean machineMode, String bootargs,
        List<Platform.Disk> disks, boolean virtioConsole, boolean entropy, MachineType type, long clockBase,
        List<Nic> nics) {
    public static final long MAX_MEMORY = 64L << 30;
    public static final int MAX_HARTS = 64;
    /** Network cards a machine may have in this version: one (its frames are input events of one kind). */
    public static final int MAX_NICS = 1;

    /**
     * A virtio-net card and its MAC address, 6 bytes. The address is the machine's for its whole life
     * (the guest's kernel reads it once, at boot), so it is part of the machine's layout.
     */
    public record Nic(byte[] mac) {
        public Nic {
            if (mac == null || mac.length != 6) {
                throw new IllegalArgumentException("a MAC address has 6 bytes");
            }
            if ((mac[0] & 1) != 0) {
                throw new IllegalArgumentException("a card's MAC address is unicast (the low bit of its first byte is 0): "
                        + text(mac));
            }
            mac = mac.clone();
        }

        @Override
        public byte[] mac() {
            return mac.clone();
        }

        /** The address as {@code 02:76:6d:00:00:01}. */
        public String text() {
            return text(mac);
        }

        private static String text(byte[] mac) {
            return java.util.HexFormat.ofDelimiter(":").formatHex(mac);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Nic n && java.util.Arrays.equals(mac, n.mac);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(mac);
        }

        @Override
        public String toString() {
            return "Nic[" + text() + "]";
        }
    }

    public MachineConfig {
        if (memoryBytes <= 0 || memoryBytes % 4096 != 0 || memoryBytes > MAX_MEMORY) {
            throw new IllegalArgumentException(
                    "memory must be a multiple of 4 KiB between 4 KiB and 64 GiB: " + memoryBytes);
        }
        if (harts < 1 || harts > MAX_HARTS) {
            throw new IllegalArgumentException("harts must be between 1 and " + MAX_HARTS + ": " + harts);
        }
        bootargs = bootargs == null ? "" : bootargs;
        type = type == null ? MachineType.CURRENT : type;
        if (!type.linuxDevices() && clockBase != 0) {
            throw new IllegalArgumentException(type.id() + " machines have no real-time clock");
        }
        disks = disks == null ? List.of() : List.copyOf(disks);
        nics = nics == null ? List.of() : List.copyOf(nics);
        if (nics.size() > MAX_NICS) {
            throw new IllegalArgumentException("at most " + MAX_NICS + " network card: " + nics.size());
        }
        if (!nics.isEmpty() && !type.linuxDevices()) {
            throw new IllegalArgumentException(type.id() + " machines have no network card");
        }
        int virtio = disks.size() + (virtioConsole ? 1 : 0) + (entropy ? 1 : 0) + nics.size();
        if (virtio > Platform.MAX_VIRTIO) {
            throw new IllegalArgumentException("at most " + Platform.MAX_VIRTIO + " virtio devices (disks, console,"
                    + " entropy, network cards): " + virtio);
        }
    }

    /** A configuration without network cards. */
    public MachineConfig(long memoryBytes, int harts, boolean machineMode, String bootargs,
            List<Platform.Disk> disks, boolean virtioConsole, boolean entropy, MachineType type, long clockBase) {
        this(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, type, clockBase, List.of());
    }

    /** A configuration of the current machine type, its clock at the epoch. */
    public MachineConfig(long memoryBytes, int harts, boolean machineMode, String bootargs,
            List<Platform.Disk> disks, boolean virtioConsole, boolean entropy) {
        this(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, MachineType.CURRENT, 0);
    }

    /** A configuration with disks and no virtio console or entropy device. */
    public MachineConfig(long memoryBytes, int harts, boolean machineMode, String bootargs, List<Platform.Disk> disks) {
        this(memoryBytes, harts, machineMode, bootargs, disks, false, false);
    }

    /** This configuration with other disks. */
    public MachineConfig withDisks(List<Platform.Disk> newDisks) {
        return new MachineConfig(memoryBytes, harts, machineMode, bootargs, newDisks, virtioConsole, entropy, type,
                clockBase, nics);
    }

    /** This configuration with or without the virtio console and entropy devices. */
    public MachineConfig withVirtio(boolean console, boolean rng) {
        return new MachineConfig(memoryBytes, harts, machineMode, bootargs, disks, console, rng, type, clockBase, nics);
    }

    /** This configuration as another machine type (a VIRT_1 machine keeps no clock base). */
    public MachineConfig withType(MachineType newType) {
        return new MachineConfig(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, newType,
                newType.linuxDevices() ? clockBase : 0, newType.linuxDevices() ? nics : List.of());
    }

    /** This configuration with its real-time clock reading {@code nanos} (since the epoch) at instruction 0. */
    public MachineConfig withClockBase(long nanos) {
        return new MachineConfig(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, type, nanos,
                nics);
    }

    /** This configuration with these network cards. */
    public MachineConfig withNics(List<Nic> newNics) {
        return new MachineConfig(memoryBytes, harts, machineMode, bootargs, disks, virtioConsole, entropy, type,
                clockBase, newNics);
    }

    /** A configuration without disks. */
    public MachineConfig(long memoryBytes, int harts, boolean machineMode, String bootargs) {
        this(memoryBytes, harts, machineMode, bootargs, List.of());
    }

    public static MachineConfig hypervisor(long memoryBytes) {
        return new MachineConfig(memoryBytes, 1, false, "");
    }

    public static MachineConfig bareMetal(long memoryBytes) {
        return new MachineConfig(memoryBytes, 1, true, "");
    }
}
