package dev.vmtree.core.state;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.MachineType;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.HartState;
import dev.vmtree.core.devices.DeviceStateCodec;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.devices.PlatformState;
import dev.vmtree.core.devices.RtcState;
import dev.vmtree.core.devices.VmGenIdState;
import dev.vmtree.core.devices.VmGenerationId;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The canonical byte encoding of an {@link ExecutionState}, specified byte for byte in docs/format.md
 * ("Machine state"). The version follows the machine type: a {@code vmtree-virt-1} machine is
 * encoded as version 1, exactly as before later types existed, so its StateIds never change;
 * {@code vmtree-virt-2} and later use version 2, which names the type and clock base in its header
 * and carries what version 1 has no room for (floating-point registers, later devices) as tagged,
 * individually versioned sections after the version 1 body. Equal states encode to equal bytes;
 * decoding rejects bad magic, unknown versions or sections, truncation, trailing bytes and values
 * out of range with a one-line {@link CorruptDataException}. Stateless and thread-safe.
 */
public final class StateCodec {
    /** The newest version this codec writes and reads. */
    public static final int VERSION = 2;
    /** Section tags of version 2 (four ASCII bytes, read as a little-endian int). */
    static final int SECTION_FP = tag("FPRS"), SECTION_RTC = tag("GFRT"), SECTION_GENID = tag("VGID"),
            SECTION_NICS = tag("NICS");
    static final byte[] MAGIC = {'V', 'M', 'T', 'S'};
    static final int MAX_BOOTARGS = 64 * 1024, MAX_SERIAL = 256, MAX_PENDING = 1 << 20, MAX_DEVICES = 1 << 24;

    private StateCodec() {}

    private static Out section() {
        return new Out(new ByteArrayOutputStream(), ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN));
    }

    private static int tag(String t) {
        byte[] b = t.getBytes(StandardCharsets.US_ASCII);
        return (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
    }

    public static byte[] encode(ExecutionState s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        Out o = new Out(out, b);
        out.writeBytes(MAGIC);
        MachineLayout l = s.layout();
        boolean v1 = l.type() == MachineType.VIRT_1;
        if (v1) {
            for (HartState h : s.harts()) {
                if (!h.fpZero()) {
                    throw new IllegalArgumentException("a vmtree-virt-1 machine has no floating-point state");
                }
            }
            o.u8(1);
        } else {
            o.u8(2).str(l.type().id()).u64(l.clockBase());
        }
        o.u64(l.memoryBytes()).u32(l.harts()).bool(l.machineMode()).str(l.bootargs()).u32(l.disks().size());
        for (MachineLayout.DiskInfo d : l.disks()) {
            o.u64(d.size()).bool(d.readOnly()).str(d.serial());
        }
        o.bool(l.virtioConsole()).bool(l.entropy());
        o.u64(s.instructions()).u32(s.currentHart()).u8(haltCode(s.halted())).u64(s.haltDetail()).bytes(s.pendingInput());
        for (HartState h : s.harts()) {
            for (long v : h.x()) {
                o.u64(v);
            }
            o.u64(h.pc()).u8(h.privilege());
            for (long v : new long[] {h.mstatus(), h.medeleg(), h.mideleg(), h.mie(), h.mip(), h.mtvec(), h.mepc(),
                    h.mcause(), h.mtval(), h.mscratch(), h.stvec(), h.sepc(), h.scause(), h.stval(), h.sscratch(), h.satp(),
                    h.mcounteren(), h.scounteren(), h.menvcfg(), h.senvcfg()}) {
                o.u64(v);
            }
            for (long v : h.pmpaddr()) {
                o.u64(v);
            }
            for (long v : h.pmpcfg()) {
                o.u64(v);
            }
            o.u64(h.steps()).u64(h.cycleOffset()).u64(h.instretOffset()).u64(h.mtimecmp()).u64(h.sbiTimer())
                    .u64(h.reservation()).bool(h.waitingForInterrupt()).bool(h.stopped()).bool(h.hypervisorMode());
        }
        o.bytes(DeviceStateCodec.encode(s.devices()));
        if (!v1) {
            o.u32(l.nics().isEmpty() ? 3 : 4);          // sections: FPRS, GFRT, VGID and, with a card, NICS
            Out fp = section();
            for (HartState h : s.harts()) {
                for (long v : h.f()) {
                    fp.u64(v);
                }
                fp.u32(h.fcsr());
            }
            o.u32(SECTION_FP).u8(1).bytes(fp.out().toByteArray());
            RtcState r = s.devices().rtc();
            VmGenIdState g = s.devices().generationId();
            if (r == null || g == null) {
                throw new IllegalArgumentException(l.type().id() + " machine state without its RTC and generation ID");
            }
            Out rtc = section().u64(r.offset()).u32(r.timeHigh()).u64(r.alarm()).bool(r.alarmRunning())
                    .bool(r.irqEnabled()).bool(r.irqPending());
            o.u32(SECTION_RTC).u8(1).bytes(rtc.out().toByteArray());
            Out genId = section();
            genId.out().writeBytes(g.id());
            genId.bool(g.line());
            o.u32(SECTION_GENID).u8(1).bytes(genId.out().toByteArray());
            if (!l.nics().isEmpty()) {
                Out nics = section().u32(l.nics().size());
                for (MachineConfig.Nic n : l.nics()) {
                    nics.out().writeBytes(n.mac());
                }
                o.u32(SECTION_NICS).u8(1).bytes(nics.out().toByteArray());
            }
        } else if (s.devices().rtc() != null || s.devices().generationId() != null) {
            throw new IllegalArgumentException("a vmtree-virt-1 machine has no RTC or generation ID");
        }
        return out.toByteArray();
    }

    /** Decodes a machine state; any malformed or inconsistent input is a one-line {@link CorruptDataException}. */
    public static ExecutionState decode(byte[] bytes) {
        try {
            return decodeUnchecked(bytes);
        } catch (CorruptDataException e) {
            throw e;
        } catch (IllegalArgumentException | IndexOutOfBoundsException | BufferUnderflowException e) {
            // the records decoded values go into check them: here their refusal is the data's fault
            String m = e.getMessage() == null ? "malformed" : e.getMessage();
            throw new CorruptDataException(m.startsWith("machine state") ? m : "machine state: " + m, e);
        }
    }

    private static ExecutionState decodeUnchecked(byte[] bytes) {
        In in = new In(bytes);
        for (byte m : MAGIC) {
            if (in.u8() != (m & 0xFF)) {
                throw new IllegalArgumentException("machine state: bad magic (not a vmtree machine state)");
            }
        }
        int version = in.u8();
        if (version < 1 || version > VERSION) {
            throw new IllegalArgumentException("machine state: version " + version + " is not supported (1.." + VERSION
                    + "; a newer vmtree made it?)");
        }
        MachineType type = MachineType.VIRT_1;
        long clockBase = 0;
        if (version >= 2) {
            String id = in.str(64);
            try {
                type = MachineType.of(id);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("machine state: " + e.getMessage());
            }
            if (type == MachineType.VIRT_1) {
                throw new IllegalArgumentException("machine state: a vmtree-virt-1 machine is stored as version 1");
            }
            clockBase = in.u64();
        }
        long memory = in.u64();
        int harts = in.u32();
        if (harts < 1 || harts > MachineConfig.MAX_HARTS) {
            throw new IllegalArgumentException("machine state: " + harts + " harts (1.." + MachineConfig.MAX_HARTS + ")");
        }
        boolean machineMode = in.bool();
        String bootargs = in.str(MAX_BOOTARGS);
        int diskCount = in.u32();
        if (diskCount < 0 || diskCount > Platform.MAX_VIRTIO) {
            throw new IllegalArgumentException("machine state: " + diskCount + " disks (at most " + Platform.MAX_VIRTIO + ")");
        }
        List<MachineLayout.DiskInfo> disks = new ArrayList<>();
        for (int i = 0; i < diskCount; i++) {
            disks.add(new MachineLayout.DiskInfo(in.u64(), in.bool(), in.str(MAX_SERIAL)));
        }
        MachineLayout layout = new MachineLayout(memory, harts, machineMode, bootargs, disks, in.bool(), in.bool(), type,
                clockBase);
        new MachineConfig(memory, harts, machineMode, bootargs); // validates memory size and harts
        long instructions = in.u64();
        int current = in.u32();
        StopReason halted = halt(in.u8());
        long haltDetail = in.u64();
        byte[] pending = in.bytes(MAX_PENDING);
        List<HartState> hs = new ArrayList<>();
        for (int i = 0; i < harts; i++) {
            long[] x = new long[32];
            for (int r = 0; r < 32; r++) {
                x[r] = in.u64();
            }
            long pc = in.u64();
            int priv = in.u8();
            long[] c = new long[20];
            for (int k = 0; k < c.length; k++) {
                c[k] = in.u64();
            }
            long[] pmpaddr = new long[HartState.PMP_ADDR];
            for (int k = 0; k < pmpaddr.length; k++) {
                pmpaddr[k] = in.u64();
            }
            long[] pmpcfg = new long[HartState.PMP_CFG];
            for (int k = 0; k < pmpcfg.length; k++) {
                pmpcfg[k] = in.u64();
            }
            hs.add(new HartState(x, pc, priv, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11],
                    c[12], c[13], c[14], c[15], c[16], c[17], c[18], c[19], pmpaddr, pmpcfg, in.u64(), in.u64(), in.u64(),
                    in.u64(), in.u64(), in.u64(), in.bool(), in.bool(), in.bool(), new long[32], 0));
        }
        PlatformState devices = DeviceStateCodec.decodePlatform(in.bytes(MAX_DEVICES));
        if (version >= 2) {
            int sections = in.u32();
            if (sections != 3 && sections != 4) {
                throw new IllegalArgumentException("machine state: " + (sections & 0xFFFF_FFFFL)
                        + " sections (this version knows 3: FPRS, GFRT, VGID, or 4 with NICS)");
            }
            hs = fpSection(in, hs);
            devices = deviceSections(in, devices);
            if (sections == 4) {
                layout = layout.withNics(nicsSection(in));
            }
        }
        in.end();
        return new ExecutionState(layout, instructions, current, halted, haltDetail, pending, hs, devices);
    }

    /**
     * Version 2's sections: FPRS, GFRT and VGID in that order, then NICS for a machine with a network
     * card, each version 1 (a later vmtree adding a section raises the count; this one refuses what it
     * cannot restore).
     */
    private static List<HartState> fpSection(In in, List<HartState> harts) {
        In fp = new In(sectionBody(in, SECTION_FP, harts.size() * (32 * 8 + 4)));
        List<HartState> out = new ArrayList<>();
        for (HartState h : harts) {
            long[] f = new long[32];
            for (int r = 0; r < 32; r++) {
                f[r] = fp.u64();
            }
            int fcsr = fp.u32();
            if ((fcsr & ~0xFF) != 0) {
                throw new IllegalArgumentException("machine state: fcsr 0x" + Integer.toHexString(fcsr) + " has reserved bits");
            }
            out.add(h.withFp(f, fcsr));
        }
        fp.end();
        return out;
    }

    private static byte[] sectionBody(In in, int expected, int max) {
        int tag = in.u32();
        int version = in.u8();
        if (tag != expected || version != 1) {
            throw new IllegalArgumentException("machine state: section " + tagName(tag) + " version " + version
                    + " where " + tagName(expected) + " version 1 belongs");
        }
        return in.bytes(max);
    }

    private static PlatformState deviceSections(In in, PlatformState devices) {
        In r = new In(sectionBody(in, SECTION_RTC, 8 + 4 + 8 + 3));
        RtcState rtc = new RtcState(r.u64(), r.u32(), r.u64(), r.bool(), r.bool(), r.bool());
        r.end();
        In g = new In(sectionBody(in, SECTION_GENID, VmGenerationId.ID_BYTES + 1));
        byte[] id = new byte[VmGenerationId.ID_BYTES];
        for (int i = 0; i < id.length; i++) {
            id[i] = (byte) g.u8();
        }
        VmGenIdState genId = new VmGenIdState(id, g.bool());
        g.end();
        return devices.with(rtc, genId);
    }

    /** The network cards: count u32 (1.. MAX_NICS: a machine without one has no NICS section), then 6 bytes each. */
    private static List<MachineConfig.Nic> nicsSection(In in) {
        In n = new In(sectionBody(in, SECTION_NICS, 4 + 6 * MachineConfig.MAX_NICS));
        int count = n.u32();
        if (count < 1 || count > MachineConfig.MAX_NICS) {
            throw new IllegalArgumentException("machine state: " + (count & 0xFFFF_FFFFL) + " network cards (1.."
                    + MachineConfig.MAX_NICS + ")");
        }
        List<MachineConfig.Nic> nics = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] mac = new byte[6];
            for (int k = 0; k < 6; k++) {
                mac[k] = (byte) n.u8();
            }
            nics.add(new MachineConfig.Nic(mac));
        }
        n.end();
        return nics;
    }

    private static String tagName(int tag) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int c = (tag >>> (8 * i)) & 0xFF;
            b.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return b.toString();
    }

    private static int haltCode(StopReason r) {
        if (r == null) {
            return 0;
        }
        return switch (r) {
            case SHUTDOWN -> 1;
            case REBOOT -> 2;
            case GUEST_FAILURE -> 3;
            default -> throw new IllegalArgumentException("not a halt: " + r);
        };
    }

    private static StopReason halt(int code) {
        return switch (code) {
            case 0 -> null;
            case 1 -> StopReason.SHUTDOWN;
            case 2 -> StopReason.REBOOT;
            case 3 -> StopReason.GUEST_FAILURE;
            default -> throw new IllegalArgumentException("machine state: unknown halt code " + code);
        };
    }

    private record Out(ByteArrayOutputStream out, ByteBuffer b) {
        Out u8(int v) {
            out.write(v);
            return this;
        }

        Out bool(boolean v) {
            return u8(v ? 1 : 0);
        }

        Out u32(int v) {
            b.clear();
            out.write(b.putInt(v).array(), 0, 4);
            return this;
        }

        Out u64(long v) {
            b.clear();
            out.write(b.putLong(v).array(), 0, 8);
            return this;
        }

        Out bytes(byte[] v) {
            u32(v.length);
            out.writeBytes(v);
            return this;
        }

        Out str(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final class In {
        private final ByteBuffer buf;

        In(byte[] b) {
            buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        }

        private IllegalArgumentException truncated() {
            return new IllegalArgumentException("machine state: truncated at byte " + buf.position());
        }

        int u8() {
            try {
                return buf.get() & 0xFF;
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        boolean bool() {
            int v = u8();
            if (v > 1) {
                throw new IllegalArgumentException("machine state: boolean byte " + v + " at " + (buf.position() - 1));
            }
            return v == 1;
        }

        int u32() {
            try {
                return buf.getInt();
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        long u64() {
            try {
                return buf.getLong();
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        byte[] bytes(int max) {
            long n = u32() & 0xFFFF_FFFFL;
            if (n > max || n > buf.remaining()) {
                throw new IllegalArgumentException("machine state: field of " + n + " bytes at byte " + (buf.position() - 4)
                        + (n > max ? " exceeds the limit of " + max : " runs past the end"));
            }
            byte[] v = new byte[(int) n];
            buf.get(v);
            return v;
        }

        String str(int max) {
            return new String(bytes(max), StandardCharsets.UTF_8);
        }

        void end() {
            if (buf.hasRemaining()) {
                throw new IllegalArgumentException("machine state: " + buf.remaining() + " bytes after the end");
            }
        }
    }
}
