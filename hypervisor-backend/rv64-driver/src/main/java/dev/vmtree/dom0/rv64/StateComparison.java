package dev.vmtree.dom0.rv64;

import dev.vmtree.core.cpu.HartState;
import dev.vmtree.core.devices.PlicState;
import dev.vmtree.core.devices.UartState;
import dev.vmtree.core.devices.virtio.VirtioDeviceState;
import dev.vmtree.core.devices.virtio.VirtioMmioState;
import dev.vmtree.core.state.ExecutionState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Which parts of two decoded machine states differ, outside registers and pages (those have their
 * own views): the layout, clock, halt, pending console input, each hart's hidden state (timers,
 * reservation, wfi, PMP), the PLIC, the UART and each virtio slot. One line per differing part,
 * naming its fields, so `vmtree diff` can say "uart: rx, threPending". Stateless.
 */
final class StateComparison {
    private StateComparison() {}

    static List<String> differences(ExecutionState a, ExecutionState b) {
        List<String> out = new ArrayList<>();
        if (!a.layout().equals(b.layout())) {
            out.add("layout: " + a.layout().memoryBytes() + " bytes, " + a.layout().harts() + " harts, "
                    + a.layout().disks().size() + " disks -> " + b.layout().memoryBytes() + " bytes, "
                    + b.layout().harts() + " harts, " + b.layout().disks().size() + " disks");
        }
        if (a.instructions() != b.instructions() || a.currentHart() != b.currentHart()) {
            out.add("clock: " + String.format("%,d -> %,d instructions", a.instructions(), b.instructions())
                    + (a.currentHart() != b.currentHart() ? ", current hart " + a.currentHart() + " -> " + b.currentHart() : ""));
        }
        if (a.halted() != b.halted() || a.haltDetail() != b.haltDetail()) {
            out.add("halt: " + halt(a) + " -> " + halt(b));
        }
        if (!Arrays.equals(a.pendingInput(), b.pendingInput())) {
            out.add("pending input: " + a.pendingInput().length + " -> " + b.pendingInput().length + " bytes");
        }
        int harts = Math.min(a.harts().size(), b.harts().size());
        for (int i = 0; i < harts; i++) {
            List<String> f = hidden(a.harts().get(i), b.harts().get(i));
            if (!f.isEmpty()) {
                out.add("hart" + i + " (not registers): " + String.join(", ", f));
            }
        }
        List<String> plic = plic(a.devices().plic(), b.devices().plic());
        if (!plic.isEmpty()) {
            out.add("plic: " + String.join(", ", plic));
        }
        List<String> uart = uart(a.devices().uart(), b.devices().uart());
        if (!uart.isEmpty()) {
            out.add("uart: " + String.join(", ", uart));
        }
        List<VirtioMmioState> va = a.devices().virtio(), vb = b.devices().virtio();
        for (int i = 0; i < Math.max(va.size(), vb.size()); i++) {
            VirtioMmioState x = i < va.size() ? va.get(i) : null, y = i < vb.size() ? vb.get(i) : null;
            if (x == null || y == null) {
                out.add("virtio" + i + ": present on one side only");
                continue;
            }
            List<String> f = virtio(x, y);
            if (!f.isEmpty()) {
                out.add("virtio" + i + " (" + kind(x.device()) + "): " + String.join(", ", f));
            }
        }
        return out;
    }

    static String halt(ExecutionState s) {
        if (s.halted() == null) {
            return "running";
        }
        return switch (s.halted()) {
            case SHUTDOWN -> "powered off";
            case REBOOT -> "rebooted";
            case GUEST_FAILURE -> "failed (" + s.haltDetail() + ")";
            default -> s.halted().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    static String kind(VirtioDeviceState d) {
        return switch (d) {
            case null -> "empty";
            case VirtioDeviceState.Block b -> "block";
            case VirtioDeviceState.Console c -> "console";
            case VirtioDeviceState.Rng r -> "entropy";
            case VirtioDeviceState.Net n -> "network";
        };
    }

    private static List<String> hidden(HartState a, HartState b) {
        List<String> f = new ArrayList<>();
        field(f, "pmpaddr", Arrays.equals(a.pmpaddr(), b.pmpaddr()));
        field(f, "pmpcfg", Arrays.equals(a.pmpcfg(), b.pmpcfg()));
        field(f, "steps", a.steps() == b.steps());
        field(f, "cycle", a.cycleOffset() == b.cycleOffset());
        field(f, "instret", a.instretOffset() == b.instretOffset());
        field(f, "mtimecmp", a.mtimecmp() == b.mtimecmp());
        field(f, "sbiTimer", a.sbiTimer() == b.sbiTimer());
        field(f, "reservation", a.reservation() == b.reservation());
        field(f, "wfi", a.waitingForInterrupt() == b.waitingForInterrupt());
        field(f, "stopped", a.stopped() == b.stopped());
        field(f, "hypervisorMode", a.hypervisorMode() == b.hypervisorMode());
        return f;
    }

    private static List<String> plic(PlicState a, PlicState b) {
        List<String> f = new ArrayList<>();
        field(f, "priorities", Arrays.equals(a.priorities(), b.priorities()));
        field(f, "pending", Arrays.equals(a.pending(), b.pending()));
        field(f, "claimed", Arrays.equals(a.claimed(), b.claimed()));
        field(f, "levels", Arrays.equals(a.levels(), b.levels()));
        field(f, "enables", Arrays.equals(a.enables(), b.enables()));
        field(f, "thresholds", Arrays.equals(a.thresholds(), b.thresholds()));
        return f;
    }

    private static List<String> uart(UartState a, UartState b) {
        List<String> f = new ArrayList<>();
        field(f, "ier", a.ier() == b.ier());
        field(f, "lcr", a.lcr() == b.lcr());
        field(f, "mcr", a.mcr() == b.mcr());
        field(f, "scr", a.scr() == b.scr());
        field(f, "fcr", a.fcr() == b.fcr());
        field(f, "divisor", a.divisor() == b.divisor());
        field(f, "threPending", a.threPending() == b.threPending());
        field(f, "overrun", a.overrun() == b.overrun());
        field(f, "rx", Arrays.equals(a.rx(), b.rx()));
        return f;
    }

    private static List<String> virtio(VirtioMmioState a, VirtioMmioState b) {
        List<String> f = new ArrayList<>();
        field(f, "status", a.status() == b.status());
        field(f, "features", a.driverFeatures() == b.driverFeatures() && a.deviceFeaturesSel() == b.deviceFeaturesSel()
                && a.driverFeaturesSel() == b.driverFeaturesSel());
        field(f, "queueSel", a.queueSel() == b.queueSel());
        field(f, "interruptStatus", a.interruptStatus() == b.interruptStatus());
        field(f, "configGeneration", a.configGeneration() == b.configGeneration());
        int n = Math.max(a.queues().size(), b.queues().size());
        for (int q = 0; q < n; q++) {
            boolean same = q < a.queues().size() && q < b.queues().size() && a.queues().get(q).equals(b.queues().get(q));
            field(f, "queue" + q, same);
        }
        field(f, "device", Objects.equals(a.device(), b.device()));
        return f;
    }

    private static void field(List<String> out, String name, boolean same) {
        if (!same) {
            out.add(name);
        }
    }
}
