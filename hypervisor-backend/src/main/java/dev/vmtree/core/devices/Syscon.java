package dev.vmtree.core.devices;

import dev.vmtree.core.mem.MmioDevice;
import java.util.Objects;

/**
 * The SiFive test device ({@code sifive,test0}) that Linux's syscon-poweroff / syscon-reboot and
 * OpenSBI drive: a 32-bit write at offset 0 whose low 16 bits are 0x5555 powers off, 0x7777
 * reboots and 0x3333 fails with the code in bits 31:16. Other values and offsets are ignored; reads
 * return 0. It has no state, so it needs no save/restore.
 *
 * <p>Called only from the thread that runs the machine; never throws for guest values.
 */
public final class Syscon implements MmioDevice {
    public static final long SIZE = 0x1000;
    public static final int FAIL = 0x3333, PASS = 0x5555, RESET = 0x7777;

    private final PowerControl power;

    public Syscon(PowerControl power) {
        this.power = Objects.requireNonNull(power, "power");
    }

    @Override
    public long read(long offset, int size) {
        return 0;
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset != 0 || size < 4) {
            return;
        }
        int v = (int) value;
        switch (v & 0xFFFF) {
            case PASS -> power.powerOff();
            case RESET -> power.reboot();
            case FAIL -> power.fail(v >>> 16);
            default -> {
                // unknown command: ignored, as on the SiFive part
            }
        }
    }

    /**
     * The test device node plus the {@code poweroff} and {@code reboot} nodes that point at it,
     * in the order the generator should place them under the root.
     */
    public static DtNode[] deviceTreeNodes(long base, int phandle) {
        DtNode dev = DtNode.at("test", base).strings("compatible", "sifive,test1", "sifive,test0", "syscon")
                .longs("reg", base, SIZE).cells("phandle", phandle);
        DtNode off = DtNode.named("poweroff").strings("compatible", "syscon-poweroff").cells("regmap", phandle)
                .cells("offset", 0).cells("value", PASS);
        DtNode reboot = DtNode.named("reboot").strings("compatible", "syscon-reboot").cells("regmap", phandle)
                .cells("offset", 0).cells("value", RESET);
        return new DtNode[] {dev, off, reboot};
    }
}
