package dev.vmtree.core.devices.virtio;

import dev.vmtree.core.devices.DtNode;
import dev.vmtree.core.devices.GuestMemoryAccess;
import dev.vmtree.core.devices.IrqLine;
import dev.vmtree.core.mem.MmioDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The virtio-mmio transport, version 2 (virtio 1.x §4.2.2): magic "virt", device and vendor id,
 * 64-bit feature negotiation through selector pages with VIRTIO_F_VERSION_1 required, split queues
 * configured by select/num/ready and three 64-bit ring addresses, notify, interrupt status/ack,
 * status with reset, config generation, and device configuration from 0x100. Registers below 0x100
 * take 32-bit accesses only (others read 0 and are ignored); configuration takes 1, 2 and 4 bytes
 * (8 as two halves).
 *
 * <p>Hostile drivers: a queue is made ready only when its size is a power of two no larger than
 * QueueNumMax and its rings are aligned and in RAM (otherwise QueueReady stays 0); queue registers
 * are frozen while the queue is ready; notifications before DRIVER_OK or for queues that are not
 * ready are ignored; FEATURES_OK is refused for features not offered or without VERSION_1; any
 * broken ring or chain sets DEVICE_NEEDS_RESET with a configuration-change interrupt and stops the
 * device until the driver resets it. No guest value makes it throw.
 *
 * <p>Called only from the thread that runs the machine.
 */
public final class VirtioMmio implements MmioDevice {
    public static final long SIZE = 0x1000;
    public static final int MAGIC = 0x74726976, VERSION = 2, VENDOR = 0x766D7472;
    public static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8,
            DEVICE_NEEDS_RESET = 64, FAILED = 128;
    public static final int INT_USED = 1, INT_CONFIG = 2;
    public static final int F_VERSION_1 = 32;

    private static final int R_MAGIC = 0x00, R_VERSION = 0x04, R_DEVICE_ID = 0x08, R_VENDOR = 0x0C,
            R_DEV_FEATURES = 0x10, R_DEV_FEATURES_SEL = 0x14, R_DRV_FEATURES = 0x20, R_DRV_FEATURES_SEL = 0x24,
            R_QUEUE_SEL = 0x30, R_QUEUE_NUM_MAX = 0x34, R_QUEUE_NUM = 0x38, R_QUEUE_READY = 0x44,
            R_QUEUE_NOTIFY = 0x50, R_INT_STATUS = 0x60, R_INT_ACK = 0x64, R_STATUS = 0x70,
            R_DESC_LO = 0x80, R_DESC_HI = 0x84, R_DRIVER_LO = 0x90, R_DRIVER_HI = 0x94,
            R_DEVICE_LO = 0xA0, R_DEVICE_HI = 0xA4, R_SHM_SEL = 0xAC, R_SHM_LEN_LO = 0xB0,
            R_SHM_BASE_HI = 0xBC, R_CONFIG_GEN = 0xFC, CONFIG = 0x100;

    private final VirtioDevice device;
    private final GuestMemoryAccess memory;
    private final IrqLine irq;
    private final Virtqueue[] queues;
    private int status, deviceFeaturesSel, driverFeaturesSel, queueSel, interruptStatus, configGeneration;
    private long driverFeatures;

    public VirtioMmio(VirtioDevice device, GuestMemoryAccess memory, IrqLine irq) {
        this.device = Objects.requireNonNull(device, "device");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.irq = Objects.requireNonNull(irq, "irq");
        queues = new Virtqueue[device.queueCount()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new Virtqueue(memory);
        }
        device.attach(new Lent());
    }

    public VirtioDevice device() {
        return device;
    }

    /** The status byte as the driver reads it. */
    public int status() {
        return status;
    }

    private long offered() {
        return device.features() | 1L << F_VERSION_1;
    }

    @Override
    public long read(long offset, int size) {
        if (offset >= CONFIG && offset < SIZE) {
            int at = (int) (offset - CONFIG);
            return size == 8 ? device.readConfig(at, 4) | device.readConfig(at + 4, 4) << 32 : device.readConfig(at, size);
        }
        if (size != 4 || offset < 0 || offset >= CONFIG) {
            return 0;
        }
        Virtqueue q = queueSel < queues.length ? queues[queueSel] : null;
        return switch ((int) offset) {
            case R_MAGIC -> MAGIC;
            case R_VERSION -> VERSION;
            case R_DEVICE_ID -> device.deviceId();
            case R_VENDOR -> VENDOR;
            case R_DEV_FEATURES -> deviceFeaturesSel < 2 ? (offered() >>> (32 * deviceFeaturesSel)) & 0xFFFF_FFFFL : 0;
            case R_QUEUE_NUM_MAX -> q == null ? 0 : device.queueMax();
            case R_QUEUE_READY -> q != null && q.ready ? 1 : 0;
            case R_INT_STATUS -> interruptStatus;
            case R_STATUS -> status;
            case R_CONFIG_GEN -> configGeneration;
            case R_SHM_LEN_LO, R_SHM_LEN_LO + 4, R_SHM_LEN_LO + 8, R_SHM_BASE_HI -> 0xFFFF_FFFFL; // no shared memory
            default -> 0;
        };
    }

    @Override
    public void write(long offset, int size, long value) {
        if (offset >= CONFIG && offset < SIZE) {
            int at = (int) (offset - CONFIG);
            if (size == 8) {
                device.writeConfig(at, 4, value & 0xFFFF_FFFFL);
                device.writeConfig(at + 4, 4, value >>> 32);
            } else {
                device.writeConfig(at, size, value);
            }
            return;
        }
        if (size != 4 || offset < 0 || offset >= CONFIG) {
            return;
        }
        int v = (int) value;
        Virtqueue q = queueSel < queues.length ? queues[queueSel] : null;
        boolean configurable = q != null && !q.ready;
        switch ((int) offset) {
            case R_DEV_FEATURES_SEL -> deviceFeaturesSel = v;
            case R_DRV_FEATURES_SEL -> driverFeaturesSel = v;
            case R_DRV_FEATURES -> {
                if (driverFeaturesSel < 2 && (status & FEATURES_OK) == 0) {
                    int shift = 32 * driverFeaturesSel;
                    driverFeatures = (driverFeatures & ~(0xFFFF_FFFFL << shift)) | ((v & 0xFFFF_FFFFL) << shift);
                }
            }
            case R_QUEUE_SEL -> queueSel = v & 0x7FFF_FFFF;
            case R_QUEUE_NUM -> {
                if (configurable) {
                    q.num = v;
                }
            }
            case R_QUEUE_READY -> {
                if (q != null) {
                    q.ready = (v & 1) != 0 && Virtqueue.layoutValid(memory, q.num, device.queueMax(), q.desc, q.driver, q.device);
                }
            }
            case R_DESC_LO -> { if (configurable) { q.desc = low(q.desc, v); } }
            case R_DESC_HI -> { if (configurable) { q.desc = high(q.desc, v); } }
            case R_DRIVER_LO -> { if (configurable) { q.driver = low(q.driver, v); } }
            case R_DRIVER_HI -> { if (configurable) { q.driver = high(q.driver, v); } }
            case R_DEVICE_LO -> { if (configurable) { q.device = low(q.device, v); } }
            case R_DEVICE_HI -> { if (configurable) { q.device = high(q.device, v); } }
            case R_QUEUE_NOTIFY -> serve(v & 0xFFFF);
            case R_INT_ACK -> {
                interruptStatus &= ~v;
                irq.set(interruptStatus != 0);
            }
            case R_STATUS -> writeStatus(v & 0xFF);
            default -> {
                // read-only or unknown: ignored (R_SHM_SEL selects nothing)
            }
        }
    }

    private static long low(long old, int v) {
        return (old & 0xFFFF_FFFF_0000_0000L) | (v & 0xFFFF_FFFFL);
    }

    private static long high(long old, int v) {
        return (old & 0xFFFF_FFFFL) | ((long) v << 32);
    }

    private void writeStatus(int v) {
        if (v == 0) {
            reset();
            return;
        }
        if ((v & FEATURES_OK) != 0 && (status & FEATURES_OK) == 0) {
            boolean ok = (driverFeatures & ~offered()) == 0 && (driverFeatures >>> F_VERSION_1 & 1) != 0;
            if (!ok) {
                v &= ~FEATURES_OK; // the driver reads status back and sees the features refused
            }
        }
        boolean nowOk = (v & DRIVER_OK) != 0 && (status & DRIVER_OK) == 0;
        status = (v & ~DEVICE_NEEDS_RESET) | (status & DEVICE_NEEDS_RESET);
        if (nowOk) {
            for (int i = 0; i < queues.length; i++) {
                serve(i); // the device may have been holding work (console input) for this moment
            }
        }
    }

    private void reset() {
        status = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        driverFeatures = 0;
        queueSel = 0;
        interruptStatus = 0;
        for (Virtqueue q : queues) {
            q.restore(QueueState.RESET);
        }
        device.reset();
        irq.set(false);
    }

    private boolean usable(int i) {
        return i < queues.length && queues[i].ready && (status & DRIVER_OK) != 0 && (status & DEVICE_NEEDS_RESET) == 0;
    }

    private void serve(int i) {
        if (!usable(i)) {
            return;
        }
        try {
            device.serve(i);
        } catch (VirtqueueException e) {
            broken();
        }
    }

    private void broken() {
        status |= DEVICE_NEEDS_RESET;
        raise(INT_CONFIG);
    }

    /** The machine reached a check point: paced queues serve part of what notifications left. */
    public void checkPoint() {
        for (int i = 0; i < queues.length; i++) {
            if (device.paced(i) && usable(i)) {
                try {
                    device.checkPoint(i);
                } catch (VirtqueueException e) {
                    broken();
                }
            }
        }
    }

    /** Whether a paced queue holds requests that a coming check point will serve (so the machine is not idle). */
    public boolean holdsWork() {
        for (int i = 0; i < queues.length; i++) {
            if (device.paced(i) && usable(i)) {
                try {
                    if (queues[i].hasAvailable()) {
                        return true;
                    }
                } catch (VirtqueueException e) {
                    return true;            // the check point finds the broken ring and asks for a reset
                }
            }
        }
        return false;
    }

    private void raise(int bits) {
        interruptStatus |= bits;
        irq.set(true);
    }

    /** Tells the driver the device configuration changed (bumps the generation, config interrupt). */
    public void configChanged() {
        configGeneration++;
        if ((status & DRIVER_OK) != 0) {
            raise(INT_CONFIG);
        }
    }

    public VirtioMmioState save() {
        List<QueueState> qs = new ArrayList<>();
        for (Virtqueue q : queues) {
            qs.add(q.save());
        }
        return new VirtioMmioState(status, deviceFeaturesSel, driverFeaturesSel, driverFeatures, queueSel,
                interruptStatus, configGeneration, qs, device.save());
    }

    /** Replaces all state, the device's included, and drives the interrupt line to match. */
    public void restore(VirtioMmioState s) {
        if (s.queues().size() != queues.length) {
            throw new IllegalArgumentException("virtio state has " + s.queues().size() + " queues, device has " + queues.length);
        }
        device.restore(s.device());
        status = s.status() & 0xFF;
        deviceFeaturesSel = s.deviceFeaturesSel();
        driverFeaturesSel = s.driverFeaturesSel();
        driverFeatures = s.driverFeatures();
        queueSel = s.queueSel() & 0x7FFF_FFFF;
        interruptStatus = s.interruptStatus();
        configGeneration = s.configGeneration();
        for (int i = 0; i < queues.length; i++) {
            queues[i].restore(s.queues().get(i));
        }
        irq.set(interruptStatus != 0);
    }

    /** The node for the device tree: {@code virtio_mmio@base}, one interrupt. */
    public static DtNode deviceTreeNode(long base, int plicPhandle, int irq) {
        return DtNode.at("virtio_mmio", base).strings("compatible", "virtio,mmio").longs("reg", base, SIZE)
                .cells("interrupt-parent", plicPhandle).cells("interrupts", irq);
    }

    private final class Lent implements VirtioDevice.Queues {
        @Override
        public Chain pop(int q) throws VirtqueueException {
            return queues[q].pop();
        }

        @Override
        public void unpop(int q) {
            queues[q].unpop();
        }

        @Override
        public void push(int q, Chain chain, long written) throws VirtqueueException {
            queues[q].push(chain, written);
            raise(INT_USED);
        }

        @Override
        public void kick(int q) {
            serve(q);
        }

        @Override
        public void configChanged() {
            VirtioMmio.this.configChanged();
        }

        @Override
        public boolean negotiated(int bit) {
            return (status & FEATURES_OK) != 0 && (driverFeatures >>> bit & 1) != 0;
        }
    }
}
