package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.VirtioBlock;
import dev.vmtree.core.devices.virtio.VirtioConsole;
import dev.vmtree.core.devices.virtio.VirtioDevice;
import dev.vmtree.core.devices.virtio.VirtioMmio;
import dev.vmtree.core.devices.virtio.VirtioMmioState;
import dev.vmtree.core.devices.virtio.VirtioNet;
import dev.vmtree.core.devices.virtio.EmptyVirtioSlot;
import dev.vmtree.core.devices.virtio.VirtioRng;
import dev.vmtree.core.mem.MmioDevice;
import dev.vmtree.cow.disk.BlockDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The standard device set at QEMU virt's addresses, built and saved as one unit so the Machine only
 * maps {@link #regions()}, adds {@link #deviceTreeNodes} and keeps one {@link PlatformState}:
 *
 * <pre>
 * 0x0010_0000  syscon (sifive,test0)
 * 0x0010_1000  goldfish RTC, source 11 (vmtree-virt-2 and later)
 * 0x0010_2000  VM generation ID, source 12 (vmtree-virt-2 and later)
 * 0x0C00_0000  PLIC, 32 sources, contexts 2h (M) and 2h + 1 (S)
 * 0x1000_0000  ns16550a UART, source 10
 * 0x1000_1000  8 virtio-mmio slots of 0x1000, source 1 + slot: disks in order, then console, then rng,
 *              then the network card;
 *              the rest answer as empty transports (device id 0), as on QEMU virt
 * </pre>
 *
 * Not thread-safe: everything runs on the machine thread.
 */
public final class Platform {
    public static final long SYSCON = 0x0010_0000L, RTC = 0x0010_1000L, GENID = 0x0010_2000L, PLIC = 0x0C00_0000L,
            UART = 0x1000_0000L, VIRTIO = 0x1000_1000L;
    public static final int UART_IRQ = 10, RTC_IRQ = 11, GENID_IRQ = 12, SOURCES = 32, MAX_VIRTIO = 8;
    /** Phandles the fragments use; the Machine's cpu-intc phandles must stay below them. */
    public static final int PLIC_PHANDLE = 0x100, SYSCON_PHANDLE = 0x101;

    /** A disk for virtio-blk. */
    public record Disk(BlockDevice device, boolean readOnly, String serial) {
        public Disk {
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(serial, "serial");
        }
    }

    /** One MMIO range for {@code bus.map(base, size, device, name)}. */
    public record Region(long base, long size, MmioDevice device, String name) {}

    private final Plic plic;
    private final Uart16550 uart;
    private final Syscon syscon;
    private final List<VirtioMmio> virtio = new ArrayList<>();
    private final VirtioConsole console;
    private VirtioMmio consoleSlot;
    private final VirtioRng rng;
    private final VirtioNet net;
    private VirtioMmio netSlot;
    /** The goldfish RTC and the VM generation ID, or null on machine types without them. */
    private final GoldfishRtc rtc;
    private final VmGenerationId generationId;

    /** A platform without the RTC and generation ID (vmtree-virt-1's device set). */
    public Platform(int harts, PlatformHost host, GuestMemoryAccess memory, List<Disk> disks, boolean virtioConsole,
            boolean entropy) {
        this(harts, host, memory, disks, virtioConsole, entropy, false, 0);
    }

    /**
     * {@code virtioConsole} and {@code rng} add those devices after the disks; at most
     * {@value #MAX_VIRTIO} virtio devices in all. {@code linuxDevices} adds the goldfish RTC, reading
     * {@code clockBase} (nanoseconds since the epoch) at instruction 0, and the VM generation ID.
     */
    public Platform(int harts, PlatformHost host, GuestMemoryAccess memory, List<Disk> disks, boolean virtioConsole,
            boolean entropy, boolean linuxDevices, long clockBase) {
        this(harts, host, memory, disks, virtioConsole, entropy, linuxDevices, clockBase, null);
    }

    /**
     * As above, and a virtio-net card with address {@code mac} (6 bytes; null: none) after every other
     * virtio device, its frames going to the host's {@link FrameSink#send}.
     */
    public Platform(int harts, PlatformHost host, GuestMemoryAccess memory, List<Disk> disks, boolean virtioConsole,
            boolean entropy, boolean linuxDevices, long clockBase, byte[] mac) {
        int count = disks.size() + (virtioConsole ? 1 : 0) + (entropy ? 1 : 0) + (mac != null ? 1 : 0);
        if (count > MAX_VIRTIO) {
            throw new IllegalArgumentException("at most " + MAX_VIRTIO + " virtio devices, asked for " + count);
        }
        plic = new Plic(SOURCES, harts, host);
        uart = new Uart16550(host, plic.line(UART_IRQ));
        syscon = new Syscon(host);
        for (Disk d : disks) {
            add(new VirtioBlock(d.device(), d.readOnly(), d.serial()), memory);
        }
        console = virtioConsole ? add(new VirtioConsole(host, 4096), memory) : null;
        consoleSlot = virtioConsole ? virtio.getLast() : null;
        rng = entropy ? add(new VirtioRng(host), memory) : null;
        net = mac != null ? add(new VirtioNet(mac, host), memory) : null;
        netSlot = mac != null ? virtio.getLast() : null;
        rtc = linuxDevices ? new GoldfishRtc(clockBase, host::instructions, plic.line(RTC_IRQ)) : null;
        generationId = linuxDevices ? new VmGenerationId(plic.line(GENID_IRQ)) : null;
    }

    /** The goldfish RTC, or null on machine types without one. */
    public GoldfishRtc rtc() {
        return rtc;
    }

    /** The VM generation ID, or null on machine types without one. */
    public VmGenerationId generationId() {
        return generationId;
    }

    private <T extends VirtioDevice> T add(T device, GuestMemoryAccess memory) {
        virtio.add(new VirtioMmio(device, memory, plic.line(1 + virtio.size())));
        return device;
    }

    public Plic plic() {
        return plic;
    }

    public Uart16550 uart() {
        return uart;
    }

    /** The virtio console, or null when not configured. */
    public VirtioConsole console() {
        return console;
    }

    /** True when the virtio console exists and its driver has set DRIVER_OK (and not asked for a reset). */
    public boolean consoleReady() {
        return consoleSlot != null && (consoleSlot.status() & VirtioMmio.DRIVER_OK) != 0
                && (consoleSlot.status() & VirtioMmio.DEVICE_NEEDS_RESET) == 0;
    }

    /** The virtio entropy device, or null when not configured. */
    public VirtioRng rng() {
        return rng;
    }

    /** The network card, or null when not configured. */
    public VirtioNet net() {
        return net;
    }

    /** True when the network card exists and its driver has set DRIVER_OK (and not asked for a reset). */
    public boolean netReady() {
        return netSlot != null && (netSlot.status() & VirtioMmio.DRIVER_OK) != 0
                && (netSlot.status() & VirtioMmio.DEVICE_NEEDS_RESET) == 0;
    }

    /** A machine check point: paced virtio queues serve part of what their notifications left. */
    public void checkPoint() {
        for (VirtioMmio v : virtio) {
            v.checkPoint();
        }
    }

    /** Whether a device holds requests for a coming check point (a machine with no runnable hart is not idle then). */
    public boolean holdsWork() {
        for (VirtioMmio v : virtio) {
            if (v.holdsWork()) {
                return true;
            }
        }
        return false;
    }

    public List<VirtioMmio> virtio() {
        return List.copyOf(virtio);
    }

    public List<Region> regions() {
        List<Region> r = new ArrayList<>();
        r.add(new Region(SYSCON, Syscon.SIZE, syscon, "syscon"));
        if (rtc != null) {
            r.add(new Region(RTC, GoldfishRtc.SIZE, rtc, "rtc"));
            r.add(new Region(GENID, VmGenerationId.SIZE, generationId, "vmgenid"));
        }
        r.add(new Region(PLIC, Plic.SIZE, plic, "plic"));
        r.add(new Region(UART, Uart16550.SIZE, uart, "uart"));
        for (int i = 0; i < virtio.size(); i++) {
            r.add(new Region(VIRTIO + VirtioMmio.SIZE * i, VirtioMmio.SIZE, virtio.get(i), "virtio" + i));
        }
        for (int i = virtio.size(); i < MAX_VIRTIO; i++) {     // as on QEMU virt: every slot answers
            r.add(new Region(VIRTIO + VirtioMmio.SIZE * i, VirtioMmio.SIZE, new EmptyVirtioSlot(), "virtio" + i));
        }
        return r;
    }

    /** Nodes to place under the root, in order; {@code intcPhandles[h]} is hart h's cpu-intc. */
    public List<DtNode> deviceTreeNodes(int[] intcPhandles) {
        List<DtNode> n = new ArrayList<>();
        DtNode[] sys = Syscon.deviceTreeNodes(SYSCON, SYSCON_PHANDLE);
        n.addAll(List.of(sys));
        n.add(plic.deviceTreeNode(PLIC, PLIC_PHANDLE, intcPhandles));
        n.add(Uart16550.deviceTreeNode(UART, PLIC_PHANDLE, UART_IRQ));
        if (rtc != null) {
            n.add(GoldfishRtc.deviceTreeNode(RTC, PLIC_PHANDLE, RTC_IRQ));
            n.add(VmGenerationId.deviceTreeNode(GENID, PLIC_PHANDLE, GENID_IRQ));
        }
        for (int i = 0; i < virtio.size(); i++) {
            n.add(VirtioMmio.deviceTreeNode(VIRTIO + VirtioMmio.SIZE * i, PLIC_PHANDLE, 1 + i));
        }
        return n;
    }

    /** {@code /chosen}'s stdout-path for the UART. */
    public static String stdoutPath() {
        return "/serial@" + Long.toHexString(UART);
    }

    public PlatformState save() {
        List<VirtioMmioState> v = new ArrayList<>();
        for (VirtioMmio m : virtio) {
            v.add(m.save());
        }
        return new PlatformState(plic.save(), uart.save(), v, rtc == null ? null : rtc.save(),
                generationId == null ? null : generationId.save());
    }

    /** Restores every device; the state must come from a platform with the same devices. */
    public void restore(PlatformState s) {
        if (s.virtio().size() != virtio.size()) {
            throw new IllegalArgumentException("platform state has " + s.virtio().size() + " virtio devices, this platform "
                    + virtio.size());
        }
        // devices first: they re-drive their lines, then the PLIC takes its saved pending/claimed
        // bits and levels verbatim and re-drives every hart output
        if ((s.rtc() == null) != (rtc == null) || (s.generationId() == null) != (generationId == null)) {
            throw new IllegalArgumentException("platform state and platform disagree about the RTC and generation ID");
        }
        uart.restore(s.uart());
        for (int i = 0; i < virtio.size(); i++) {
            virtio.get(i).restore(s.virtio().get(i));
        }
        if (rtc != null) {
            rtc.restore(s.rtc());
            generationId.restore(s.generationId());
        }
        plic.restore(s.plic());
    }
}
