package dev.vmtree.dom0;

import dev.vmtree.core.cpu.HartState;
import dev.vmtree.core.cpu.RegisterNames;
import dev.vmtree.core.devices.DeviceStateCodec;
import dev.vmtree.core.devices.PlatformState;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.replay.ReplayLog;
import dev.vmtree.core.state.ExecutionState;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.rv64.CoreDriver;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Reading stored machine states without running them: what {@code show} and {@code diff} print.
 * Everything comes from the state files and page-tree roots; pages are compared by id
 * ({@link PageTree#diff}), so a diff costs what differs, not the machine's size. Stateless apart
 * from the toolstack it reads through.
 */
public final class Inspect {
    private final Toolstack ts;

    public Inspect(Toolstack ts) {
        this.ts = ts;
    }

    /** The decoded machine state of a stored state (a clear error for one that holds no machine). */
    public static ExecutionState execution(StoredState s) {
        if (!Machines.holdsMachine(s)) {
            throw ToolstackException.failed("that snapshot holds no machine (it was made by `vmtree store put`)");
        }
        return CoreDriver.decode(s);
    }

    /** The ReplayLog a stored state carries (empty when it has none). */
    public static ReplayLog replayLog(StoredState s, long start) {
        byte[] b = s.files().get(CoreDriver.LOG_FILE);
        if (b == null) {
            return ReplayLog.empty(start);
        }
        try {
            return ReplayLog.decode(b);
        } catch (IllegalArgumentException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "corrupt " + CoreDriver.LOG_FILE + ": "
                    + e.getMessage() + " (run `vmtree fsck`)");
        }
    }

    /** Non-zero pages (blocks) of an image: its allocated part. */
    public long allocatedPages(PageTreeRoot root) {
        long[] n = {0};
        ts.repository().pageTree(root).forEachPageId((i, id) -> {
            if (!id.isZero()) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** Counts of a log's events by kind ("console", "entropy", "mem write", "reg", "disk write"). */
    public static Map<String, Integer> eventCounts(ReplayLog log) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (ReplayEvent e : log.events()) {
            String k = switch (e) {
                case ReplayEvent.Input i -> i.event().kind().name().toLowerCase(java.util.Locale.ROOT);
                case ReplayEvent.MemoryWrite w -> "mem write";
                case ReplayEvent.RegisterWrite r -> "reg";
                case ReplayEvent.DiskWrite d -> "disk write";
            };
            m.merge(k, 1, Integer::sum);
        }
        return m;
    }

    // ---- diff -----------------------------------------------------------------------------------

    /** One register that differs: hart, name, old and new value. */
    public record RegisterChange(int hart, String name, long from, long to) {}

    /** Pages (blocks) of one image that differ, merged into ranges of page indexes [first, last]. */
    public record ImageChange(String image, int pageSize, long pages, List<long[]> ranges, long base) {}

    /** Everything that differs between two states. */
    public record Difference(List<RegisterChange> registers, List<String> devices, List<ImageChange> images) {
        public boolean none() {
            return registers.isEmpty() && devices.isEmpty() && images.stream().allMatch(i -> i.pages() == 0);
        }
    }

    public Difference diff(StoredState a, StoredState b) {
        ExecutionState ea = execution(a), eb = execution(b);
        List<RegisterChange> regs = new ArrayList<>();
        int harts = Math.max(ea.harts().size(), eb.harts().size());
        for (int h = 0; h < harts; h++) {
            if (h >= ea.harts().size() || h >= eb.harts().size()) {
                continue;
            }
            Map<String, Long> ra = RegisterNames.all(ea.harts().get(h)), rb = RegisterNames.all(eb.harts().get(h));
            for (var e : ra.entrySet()) {
                long to = rb.get(e.getKey());
                if (e.getValue() != to) {
                    regs.add(new RegisterChange(h, e.getKey(), e.getValue(), to));
                }
            }
            HartState ha = ea.harts().get(h), hb = eb.harts().get(h);
            if (ha.waitingForInterrupt() != hb.waitingForInterrupt() || ha.stopped() != hb.stopped()) {
                regs.add(new RegisterChange(h, "run-state", runState(ha), runState(hb)));
            }
        }
        List<String> devices = new ArrayList<>();
        if (!ea.layout().equals(eb.layout())) {
            devices.add("layout (memory, harts, disks or devices)");
        }
        if (ea.instructions() != eb.instructions()) {
            devices.add(String.format("clock: %,d -> %,d instructions", ea.instructions(), eb.instructions()));
        }
        if (!Objects.equals(ea.halted(), eb.halted())) {
            devices.add("halt: " + halt(ea) + " -> " + halt(eb));
        }
        if (!Arrays.equals(ea.pendingInput(), eb.pendingInput())) {
            devices.add("held console input: " + ea.pendingInput().length + " -> " + eb.pendingInput().length + " bytes");
        }
        PlatformState pa = ea.devices(), pb = eb.devices();
        if (!Arrays.equals(DeviceStateCodec.encode(pa.plic()), DeviceStateCodec.encode(pb.plic()))) {
            devices.add("plic");
        }
        if (!Arrays.equals(DeviceStateCodec.encode(pa.uart()), DeviceStateCodec.encode(pb.uart()))) {
            devices.add("uart");
        }
        for (int i = 0; i < Math.min(pa.virtio().size(), pb.virtio().size()); i++) {
            if (!Arrays.equals(DeviceStateCodec.encode(pa.virtio().get(i)), DeviceStateCodec.encode(pb.virtio().get(i)))) {
                devices.add("virtio" + i + " (" + pa.virtio().get(i).device().getClass().getSimpleName().toLowerCase(
                        java.util.Locale.ROOT) + ")");
            }
        }
        List<ImageChange> images = new ArrayList<>();
        for (String name : new TreeSet<>(a.images().keySet())) {
            PageTreeRoot ra = a.images().get(name), rb = b.images().get(name);
            if (rb == null) {
                continue;
            }
            List<long[]> ranges = new ArrayList<>();
            long n = ts.machines().differingPages(ra, rb, i -> {
                if (!ranges.isEmpty() && ranges.getLast()[1] == i - 1) {
                    ranges.getLast()[1] = i;
                } else {
                    ranges.add(new long[] {i, i});
                }
            });
            images.add(new ImageChange(name, ra.pageSize(), n, ranges,
                    name.equals(CoreDriver.RAM) ? dev.vmtree.core.mem.Bus.RAM_BASE : 0));
        }
        return new Difference(regs, devices, images);
    }

    private static long runState(HartState h) {
        return h.stopped() ? 2 : h.waitingForInterrupt() ? 1 : 0;
    }

    public static String halt(ExecutionState e) {
        return e.halted() == null ? "running" : switch (e.halted()) {
            case SHUTDOWN -> "powered off";
            case REBOOT -> "reboot requested";
            case GUEST_FAILURE -> "failed (code " + e.haltDetail() + ")";
            default -> e.halted().name();
        };
    }
}
