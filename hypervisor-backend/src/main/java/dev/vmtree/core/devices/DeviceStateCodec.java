package dev.vmtree.core.devices;

import dev.vmtree.core.devices.virtio.QueueState;
import dev.vmtree.core.devices.virtio.VirtioDeviceState;
import dev.vmtree.core.devices.virtio.VirtioMmioState;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The canonical byte encoding of device state records, version 1, specified in docs/format.md
 * ("Device state records"): a tag byte, a version byte, then the fields in record order,
 * little-endian, arrays as a u32 count and their elements. Equal records encode to equal bytes, so
 * the encoding can feed a StateId. Decoding rejects truncated, oversized, trailing or unknown input
 * with a one-line {@link IllegalArgumentException}. Stateless and thread-safe.
 */
public final class DeviceStateCodec {
    public static final int VERSION = 1;
    public static final int TAG_UART = 0x55, TAG_PLIC = 0x50, TAG_VIRTIO = 0x56, TAG_PLATFORM = 0x44;

    private DeviceStateCodec() {}

    public static byte[] encode(UartState s) {
        Out o = new Out(TAG_UART);
        o.u8(s.ier()).u8(s.lcr()).u8(s.mcr()).u8(s.scr()).u8(s.fcr()).u16(s.divisor())
                .bool(s.threPending()).bool(s.overrun()).bytes(s.rx());
        return o.done();
    }

    public static byte[] encode(PlicState s) {
        Out o = new Out(TAG_PLIC);
        for (int[] a : List.of(s.priorities(), s.pending(), s.claimed(), s.levels(), s.enables(), s.thresholds())) {
            o.u32(a.length);
            for (int v : a) {
                o.u32(v);
            }
        }
        return o.done();
    }

    public static byte[] encode(VirtioMmioState s) {
        Out o = new Out(TAG_VIRTIO);
        o.u32(s.status()).u32(s.deviceFeaturesSel()).u32(s.driverFeaturesSel()).u64(s.driverFeatures())
                .u32(s.queueSel()).u32(s.interruptStatus()).u32(s.configGeneration()).u32(s.queues().size());
        for (QueueState q : s.queues()) {
            o.u32(q.num()).bool(q.ready()).u64(q.desc()).u64(q.driver()).u64(q.device()).u16(q.lastAvail()).u16(q.usedIdx());
        }
        switch (s.device()) {
            case VirtioDeviceState.Block b -> o.u8(2).u64(b.capacityBytes()).bool(b.readOnly());
            case VirtioDeviceState.Console c -> o.u8(3).bytes(c.pendingInput());
            case VirtioDeviceState.Rng r -> o.u8(4);
            case VirtioDeviceState.Net n -> {
                o.u8(1).bytes(n.mac()).bool(n.linkUp()).u32(n.pendingFrames().size());
                n.pendingFrames().forEach(o::bytes);
            }
        }
        return o.done();
    }

    /** A whole {@link Platform}: the PLIC, UART and each virtio record, each as a length-prefixed encoding. */
    public static byte[] encode(PlatformState s) {
        Out o = new Out(TAG_PLATFORM);
        o.bytes(encode(s.plic())).bytes(encode(s.uart())).u32(s.virtio().size());
        for (VirtioMmioState v : s.virtio()) {
            o.bytes(encode(v));
        }
        return o.done();
    }

    public static PlatformState decodePlatform(byte[] b) {
        In in = new In(b, TAG_PLATFORM, "platform");
        PlicState plic = decodePlic(in.bytes());
        UartState uart = decodeUart(in.bytes());
        int n = in.count(4);
        List<VirtioMmioState> v = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            v.add(decodeVirtio(in.bytes()));
        }
        in.end();
        return new PlatformState(plic, uart, v);
    }

    public static UartState decodeUart(byte[] b) {
        In in = new In(b, TAG_UART, "UART");
        UartState s = new UartState(in.u8(), in.u8(), in.u8(), in.u8(), in.u8(), in.u16(), in.bool(), in.bool(), in.bytes());
        in.end();
        return s;
    }

    public static PlicState decodePlic(byte[] b) {
        In in = new In(b, TAG_PLIC, "PLIC");
        int[][] a = new int[6][];
        for (int k = 0; k < a.length; k++) {
            a[k] = new int[in.count(4)];
            for (int i = 0; i < a[k].length; i++) {
                a[k][i] = in.u32();
            }
        }
        in.end();
        return new PlicState(a[0], a[1], a[2], a[3], a[4], a[5]);
    }

    public static VirtioMmioState decodeVirtio(byte[] b) {
        In in = new In(b, TAG_VIRTIO, "virtio");
        int status = in.u32(), dfs = in.u32(), drfs = in.u32();
        long features = in.u64();
        int sel = in.u32(), irq = in.u32(), gen = in.u32();
        int n = in.count(33);
        List<QueueState> qs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            qs.add(new QueueState(in.u32(), in.bool(), in.u64(), in.u64(), in.u64(), in.u16(), in.u16()));
        }
        int kind = in.u8();
        VirtioDeviceState dev = switch (kind) {
            case 2 -> new VirtioDeviceState.Block(in.u64(), in.bool());
            case 3 -> new VirtioDeviceState.Console(in.bytes());
            case 4 -> new VirtioDeviceState.Rng();
            case 1 -> {
                byte[] mac = in.bytes();
                if (mac.length != 6) {
                    throw new IllegalArgumentException("virtio state: a MAC address of " + mac.length + " bytes");
                }
                boolean up = in.bool();
                int frames = in.count(4);
                List<byte[]> pending = new ArrayList<>();
                for (int i = 0; i < frames; i++) {
                    pending.add(in.bytes());
                }
                yield new VirtioDeviceState.Net(mac, up, pending);
            }
            default -> throw new IllegalArgumentException("virtio state: unknown device kind " + kind);
        };
        in.end();
        return new VirtioMmioState(status, dfs, drfs, features, sel, irq, gen, qs, dev);
    }

    private static final class Out {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Out(int tag) {
            u8(tag).u8(VERSION);
        }

        Out u8(int v) {
            b.write(v);
            return this;
        }

        Out bool(boolean v) {
            return u8(v ? 1 : 0);
        }

        Out u16(int v) {
            return u8(v).u8(v >>> 8);
        }

        Out u32(int v) {
            return u16(v).u16(v >>> 16);
        }

        Out u64(long v) {
            return u32((int) v).u32((int) (v >>> 32));
        }

        Out bytes(byte[] v) {
            u32(v.length);
            b.writeBytes(v);
            return this;
        }

        byte[] done() {
            return b.toByteArray();
        }
    }

    private static final class In {
        private final ByteBuffer buf;
        private final String what;

        In(byte[] b, int tag, String what) {
            this.buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            this.what = what;
            int t = u8(), v = u8();
            if (t != tag) {
                throw new IllegalArgumentException(what + " state: tag 0x" + Integer.toHexString(t) + ", expected 0x" + Integer.toHexString(tag));
            }
            if (v != VERSION) {
                throw new IllegalArgumentException(what + " state: version " + v + " is not supported (only " + VERSION + ")");
            }
        }

        private IllegalArgumentException truncated() {
            return new IllegalArgumentException(what + " state: truncated at byte " + buf.position());
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
                throw new IllegalArgumentException(what + " state: boolean byte " + v + " at " + (buf.position() - 1));
            }
            return v == 1;
        }

        int u16() {
            return u8() | u8() << 8;
        }

        int u32() {
            return u16() | u16() << 16;
        }

        long u64() {
            return (u32() & 0xFFFF_FFFFL) | (long) u32() << 32;
        }

        /** A u32 count of elements of at least {@code each} bytes, checked against what is left. */
        int count(int each) {
            long n = u32() & 0xFFFF_FFFFL;
            if (n * each > buf.remaining()) {
                throw new IllegalArgumentException(what + " state: count " + n + " at byte " + (buf.position() - 4)
                        + " runs past the end");
            }
            return (int) n;
        }

        byte[] bytes() {
            byte[] v = new byte[count(1)];
            buf.get(v);
            return v;
        }

        void end() {
            if (buf.hasRemaining()) {
                throw new IllegalArgumentException(what + " state: " + buf.remaining() + " bytes after the end");
            }
        }
    }
}
