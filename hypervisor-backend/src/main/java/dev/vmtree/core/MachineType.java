package dev.vmtree.core;

import java.util.List;

/**
 * What a machine is built as, fixed when it is created and kept for its whole life (as QEMU's
 * versioned machine types keep a guest's hardware across QEMU releases): the instruction set its
 * harts implement, the devices of its platform, and so the encoding of its state. A snapshot made
 * before a change to any of these keeps its StateId and still replays exactly, because it is
 * restored as the type it was made with.
 */
public enum MachineType {
    /**
     * The first vmtree machine: RV64IMAC harts, CLINT, PLIC, ns16550a, syscon and virtio-mmio
     * slots. Machine state format version 1 (docs/format.md).
     */
    VIRT_1("vmtree-virt-1", false, "rv64imac_zicsr_zifencei",
            List.of("i", "m", "a", "c", "zicsr", "zifencei")),
    /**
     * RV64GC harts (IMAFDC + Zicsr + Zifencei, with the counters of Zicntr) and the devices Linux
     * expects beyond VIRT_1's: a goldfish RTC and a VM generation ID. Machine state format version 2.
     */
    VIRT_2("vmtree-virt-2", true, "rv64imafdc_zicntr_zicsr_zifencei",
            List.of("i", "m", "a", "f", "d", "c", "zicntr", "zicsr", "zifencei"));

    /** The type new machines get. */
    public static final MachineType CURRENT = VIRT_2;

    private final String id;
    private final boolean floatingPoint;
    private final String isa;
    private final List<String> extensions;

    MachineType(String id, boolean floatingPoint, String isa, List<String> extensions) {
        this.id = id;
        this.floatingPoint = floatingPoint;
        this.isa = isa;
        this.extensions = extensions;
    }

    /** The name stored with a machine and shown to users ({@code vmtree-virt-2}). */
    public String id() {
        return id;
    }

    /** True when the harts implement F and D. */
    public boolean floatingPoint() {
        return floatingPoint;
    }

    /** True when the platform has the goldfish RTC and the VM generation ID device. */
    public boolean linuxDevices() {
        return this != VIRT_1;
    }

    /** The device tree's {@code riscv,isa} string. */
    public String isa() {
        return isa;
    }

    /** The device tree's {@code riscv,isa-extensions} list. */
    public List<String> extensions() {
        return extensions;
    }

    /** The type named {@code id}; IllegalArgumentException naming the known ones otherwise. */
    public static MachineType of(String id) {
        for (MachineType t : values()) {
            if (t.id.equals(id)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown machine type '" + id + "' (known: vmtree-virt-1, vmtree-virt-2)");
    }
}
