package dev.vmtree.core.replay;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.core.input.InputEvent;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The ReplayLog of a state (ARCHITECTURE.md): every non-execution change since the state it grew
 * from, which started at instruction {@code start}. A snapshot carries the log from its parent, so
 * replaying the parent with it reproduces the snapshot. File format version 1 in docs/format.md
 * ("ReplayLog"). Immutable.
 */
public record ReplayLog(long start, List<ReplayEvent> events) {
    /** The newest version; a log is written in the oldest version that holds all its events. */
    public static final int VERSION = 3;
    static final byte[] MAGIC = {'V', 'M', 'R', 'L'};
    static final int MAX_EVENTS = 1 << 24, MAX_DATA = 1 << 24, MAX_NAME = 64;

    public ReplayLog {
        if (start < 0) {
            throw new IllegalArgumentException("negative start");
        }
        events = List.copyOf(events);
        long last = start;
        for (ReplayEvent e : events) {
            if (e.at() < last) {
                throw new IllegalArgumentException("replay log events out of order at instruction " + e.at());
            }
            last = e.at();
        }
    }

    public static ReplayLog empty(long start) {
        return new ReplayLog(start, List.of());
    }

    /** This log with one more event (at or after the last). */
    public ReplayLog with(ReplayEvent e) {
        List<ReplayEvent> l = new ArrayList<>(events);
        l.add(e);
        return new ReplayLog(start, l);
    }

    /** The input events, in order, for a ReplayInput. */
    public List<InputEvent> inputs() {
        List<InputEvent> l = new ArrayList<>();
        for (ReplayEvent e : events) {
            if (e instanceof ReplayEvent.Input i) {
                l.add(i.event());
            }
        }
        return l;
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        out.writeBytes(MAGIC);
        out.write(events.stream().anyMatch(e -> e instanceof ReplayEvent.GenerationChange) ? 3
                : events.stream().anyMatch(e -> e instanceof ReplayEvent.DiskZeroes) ? 2 : 1);
        u64(out, b, start);
        u32(out, b, events.size());
        for (ReplayEvent e : events) {
            switch (e) {
                case ReplayEvent.Input i -> {
                    out.write(i.event().kind().code);
                    u64(out, b, e.at());
                    bytes(out, b, i.event().data());
                }
                case ReplayEvent.MemoryWrite m -> {
                    out.write(3);
                    u64(out, b, e.at());
                    u64(out, b, m.address());
                    bytes(out, b, m.data());
                }
                case ReplayEvent.RegisterWrite r -> {
                    out.write(4);
                    u64(out, b, e.at());
                    u32(out, b, r.hart());
                    bytes(out, b, r.register().getBytes(StandardCharsets.UTF_8));
                    u64(out, b, r.value());
                }
                case ReplayEvent.DiskWrite d -> {
                    out.write(5);
                    u64(out, b, e.at());
                    u32(out, b, d.disk());
                    u64(out, b, d.offset());
                    bytes(out, b, d.data());
                }
                case ReplayEvent.DiskZeroes z -> {
                    out.write(6);
                    u64(out, b, e.at());
                    u32(out, b, z.disk());
                    u64(out, b, z.offset());
                    u64(out, b, z.length());
                }
                case ReplayEvent.GenerationChange g -> {
                    out.write(7);
                    u64(out, b, e.at());
                    out.writeBytes(g.id());
                }
            }
        }
        return out.toByteArray();
    }

    /** Decodes a log; any malformed input is a one-line {@link CorruptDataException}. */
    public static ReplayLog decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (byte m : MAGIC) {
                if (in.get() != m) {
                    throw new IllegalArgumentException("replay log: bad magic (not a vmtree replay log)");
                }
            }
            int version = in.get() & 0xFF;
            if (version < 1 || version > VERSION) {
                throw new IllegalArgumentException("replay log: version " + version + " is not supported (1 to " + VERSION
                        + ")");
            }
            long start = in.getLong();
            long count = in.getInt() & 0xFFFF_FFFFL;
            if (count > MAX_EVENTS || count * 10 > in.remaining()) {
                throw new IllegalArgumentException("replay log: " + count + " events cannot fit in " + in.remaining() + " bytes");
            }
            List<ReplayEvent> events = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                int kind = in.get() & 0xFF;
                long at = in.getLong();
                events.add(switch (kind) {
                    case 1, 2 -> new ReplayEvent.Input(new InputEvent(at, InputEvent.Kind.of(kind), bytes(in, MAX_DATA)));
                    case 3 -> new ReplayEvent.MemoryWrite(at, in.getLong(), bytes(in, MAX_DATA));
                    case 4 -> new ReplayEvent.RegisterWrite(at, in.getInt(),
                            new String(bytes(in, MAX_NAME), StandardCharsets.UTF_8), in.getLong());
                    case 5 -> new ReplayEvent.DiskWrite(at, in.getInt(), in.getLong(), bytes(in, MAX_DATA));
                    case 6 -> {
                        if (version < 2) {
                            throw new IllegalArgumentException("replay log: event kind 6 needs version 2 (event " + i + ")");
                        }
                        yield new ReplayEvent.DiskZeroes(at, in.getInt(), in.getLong(), in.getLong());
                    }
                    case 7 -> {
                        if (version < 3) {
                            throw new IllegalArgumentException("replay log: event kind 7 needs version 3 (event " + i + ")");
                        }
                        byte[] id = new byte[16];
                        in.get(id);
                        yield new ReplayEvent.GenerationChange(at, id);
                    }
                    default -> throw new IllegalArgumentException("replay log: unknown event kind " + kind + " (event " + i + ")");
                });
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("replay log: " + in.remaining() + " bytes after the end");
            }
            return new ReplayLog(start, events);
        } catch (BufferUnderflowException e) {
            throw new CorruptDataException("replay log: truncated at byte " + in.position());
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? "malformed" : e.getMessage();
            throw new CorruptDataException(m.startsWith("replay log") ? m : "replay log: " + m, e);
        }
    }

    private static void u64(ByteArrayOutputStream out, ByteBuffer b, long v) {
        b.clear();
        out.write(b.putLong(v).array(), 0, 8);
    }

    private static void u32(ByteArrayOutputStream out, ByteBuffer b, int v) {
        b.clear();
        out.write(b.putInt(v).array(), 0, 4);
    }

    private static void bytes(ByteArrayOutputStream out, ByteBuffer b, byte[] v) {
        u32(out, b, v.length);
        out.writeBytes(v);
    }

    private static byte[] bytes(ByteBuffer in, int max) {
        long n = in.getInt() & 0xFFFF_FFFFL;
        if (n > max || n > in.remaining()) {
            throw new IllegalArgumentException("replay log: field of " + n + " bytes at byte " + (in.position() - 4)
                    + (n > max ? " exceeds " + max : " runs past the end"));
        }
        byte[] v = new byte[(int) n];
        in.get(v);
        return v;
    }
}
