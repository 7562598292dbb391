package dev.vmtree.core.devices;

import dev.vmtree.core.mem.MmioDevice;
import java.util.Arrays;
import java.util.Objects;

/**
 * A VM generation ID ({@code microsoft,vmgenid} in the device tree; Linux's vmgenid driver): 16
 * bytes the guest reads at offset 0, which the toolstack replaces when the machine becomes a copy of
 * itself (a new instance of a snapshot), raising the interrupt so the guest kernel reseeds its random
 * number generator at once instead of repeating its twin's output.
 *
 * <p>The driver's handler acknowledges nothing, but the PLIC's gateways are level-triggered here, so
 * the line is lowered at the guest's next read of the ID, which is exactly what the handler does.
 * Called only from the machine thread; never throws for guest values.
 */
public final class VmGenerationId implements MmioDevice {
    public static final long SIZE = 0x1000;
    public static final int ID_BYTES = 16;

    private final IrqLine irq;
    private byte[] id = new byte[ID_BYTES];
    private boolean line;

    public VmGenerationId(IrqLine irq) {
        this.irq = Objects.requireNonNull(irq, "irq");
    }

    /** Sets the ID a new machine starts with, before its first instruction: no interrupt. */
    public void initial(byte[] newId) {
        if (newId.length != ID_BYTES) {
            throw new IllegalArgumentException("a generation ID has " + ID_BYTES + " bytes, not " + newId.length);
        }
        id = newId.clone();
    }

    /** Replaces the ID; a different one raises the interrupt until the guest reads it. */
    public void change(byte[] newId) {
        if (newId.length != ID_BYTES) {
            throw new IllegalArgumentException("a generation ID has " + ID_BYTES + " bytes, not " + newId.length);
        }
        if (Arrays.equals(id, newId)) {
            return;
        }
        id = newId.clone();
        line = true;
        irq.set(true);
    }

    public byte[] id() {
        return id.clone();
    }

    @Override
    public long read(long offset, int size) {
        if (offset < 0 || offset + size > ID_BYTES) {
            return 0;
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (id[(int) offset + i] & 0xFF);
        }
        if (line) {
            line = false;
            irq.set(false);
        }
        return v;
    }

    @Override
    public void write(long offset, int size, long value) {
        // read-only
    }

    public VmGenIdState save() {
        return new VmGenIdState(id, line);
    }

    public void restore(VmGenIdState s) {
        id = s.id();
        line = s.line();
        irq.set(line);
    }

    public static DtNode deviceTreeNode(long base, int plicPhandle, int irq) {
        return DtNode.at("vmgenid", base).strings("compatible", "microsoft,vmgenid").longs("reg", base, ID_BYTES)
                .cells("interrupt-parent", plicPhandle).cells("interrupts", irq);
    }
}
