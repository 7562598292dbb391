package dev.vmtree.core.devices;

import dev.vmtree.core.Machine;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.mem.Bus;

/**
 * The Berkeley host-target interface as riscv-tests and bare-metal programs use it: a {@code tohost}
 * word in RAM (found through the ELF symbol) that the host watches.
 *
 * <ul>
 *   <li>device 0, odd value: exit. {@code tohost == 1} is success; otherwise the guest failed and
 *       {@code tohost >> 1} is the failing test number.</li>
 *   <li>device 1, command 1: console putchar of the low byte; tohost is cleared again.</li>
 *   <li>anything else non-zero: treated as failure with {@code tohost >> 1} (unsupported syscall).</li>
 * </ul>
 */
public final class Htif {
    private final Machine machine;
    private final long tohost;

    public Htif(Machine machine, long tohost) {
        this.machine = machine;
        this.tohost = tohost;
    }

    /** Starts watching tohost. */
    public void attach() {
        machine.bus().watch(tohost, 8, (pa, size, value) -> onWrite());
    }

    private void onWrite() {
        long v = machine.bus().ram().load(tohost - Bus.RAM_BASE, 8);
        if (v == 0) {
            return;
        }
        int device = (int) (v >>> 56);
        int command = (int) (v >>> 48) & 0xFF;
        if (device == 0 && (v & 1) != 0) {
            long code = (v << 16) >>> 17;
            machine.requestStop(code == 0 ? StopReason.SHUTDOWN : StopReason.GUEST_FAILURE, code);
        } else if (device == 1 && command == 1) {
            machine.console().write((int) v & 0xFF);
            machine.memory().writeRam(tohost, new byte[8], 0, 8);
        } else {
            machine.requestStop(StopReason.GUEST_FAILURE, v >>> 1);
        }
    }
}
