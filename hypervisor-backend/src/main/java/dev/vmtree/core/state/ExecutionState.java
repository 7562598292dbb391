package dev.vmtree.core.state;

import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.HartState;
import dev.vmtree.core.devices.PlatformState;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything of a captured machine except the contents of RAM and disks: the layout, the virtual
 * clock, which hart runs, whether the guest has halted, console bytes taken from outside and not
 * yet accepted by a device, every hart and every device. Small; stored as one file whose canonical
 * encoding ({@link StateCodec}) feeds the StateId. Immutable.
 *
 * @param halted SHUTDOWN, REBOOT or GUEST_FAILURE once the guest ended the machine, else null
 * @param haltDetail the guest's failure code for GUEST_FAILURE, else 0
 */
public record ExecutionState(MachineLayout layout, long instructions, int currentHart, StopReason halted,
                             long haltDetail, byte[] pendingInput, List<HartState> harts, PlatformState devices) {

    public ExecutionState {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(devices, "devices");
        harts = List.copyOf(harts);
        if (harts.size() != layout.harts()) {
            throw new IllegalArgumentException("state has " + harts.size() + " harts, layout " + layout.harts());
        }
        if (currentHart < 0 || currentHart >= harts.size()) {
            throw new IllegalArgumentException("current hart " + currentHart + " out of range");
        }
        if (instructions < 0) {
            throw new IllegalArgumentException("negative instruction count");
        }
        if (halted != null && halted != StopReason.SHUTDOWN && halted != StopReason.REBOOT
                && halted != StopReason.GUEST_FAILURE) {
            throw new IllegalArgumentException("a machine halts by SHUTDOWN, REBOOT or GUEST_FAILURE, not " + halted);
        }
        pendingInput = pendingInput.clone();
    }

    @Override
    public byte[] pendingInput() {
        return pendingInput.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExecutionState e && Arrays.equals(StateCodec.encode(this), StateCodec.encode(e));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(StateCodec.encode(this));
    }
}
