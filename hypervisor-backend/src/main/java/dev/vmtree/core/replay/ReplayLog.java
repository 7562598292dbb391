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
 * replaying the parent with it reproduces the snapshot. Immutable.
 *
 * <p>Stored as format version 3 (docs/format.md "ReplayLog"): {@link #encode} gives a small header
 * file and two paged streams, the event list (when and where) and the payloads, which the driver
 * stores as images so that no log is too big to save. Versions 1 and 2, one self-contained file
 * with payloads inline, are still read ({@link #decode(byte[])}) and can still be written
 * ({@link #encodeSingleFile}) for tests that make logs as older repositories hold them.
 */
public record ReplayLog(long start, List<ReplayEvent> events) {
    /** The newest version: {@link #encode} writes it for a log with frames, version 3 for any other. */
    public static final int VERSION = ReplayLogV3.VERSION_FRAMES;
    /** Bytes per page of a version 3 stream: the disk block size, so whole-block disk writes share the disk's chunks. */
    public static final int PAGE = 64 * 1024;
    static final byte[] MAGIC = {'V', 'M', 'R', 'L'};
    static final int MAX_EVENTS = 1 << 24, MAX_DATA = 1 << 24, MAX_NAME = 64;

    /** A paged stream of {@code length} bytes: pages of {@link #PAGE} bytes, the last zero-padded; null for a zero page. */
    public record Stream(long length, List<byte[]> pages) {
        public Stream {
            pages = java.util.Collections.unmodifiableList(new ArrayList<>(pages));
            if (length < 0 || Math.ceilDiv(length, PAGE) != pages.size()) {
                throw new IllegalArgumentException(pages.size() + " pages cannot hold a stream of " + length + " bytes");
            }
        }

        /** Bytes the stream takes as an image: whole pages. */
        public long imageSize() {
            return (long) pages.size() * PAGE;
        }
    }

    /** A version 3 log as stored: the header file, the event list and the payloads. */
    public record Encoded(byte[] header, Stream events, Stream data) {}

    /** Reads page {@code index} of a stored stream: {@link #PAGE} bytes, or null for a zero page. */
    @FunctionalInterface
    public interface Pages {
        byte[] page(long index);
    }

    /**
     * What a log file says without its streams: its version, start, event count, the lengths of its
     * streams (0 for versions 1 and 2, which have none) and, for version 3, the events of each kind
     * ({@code counts[code]}, codes as {@link #code}); null counts for older versions.
     */
    public record Header(int version, long start, long events, long eventBytes, long dataBytes, long[] counts) {}

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

    /**
     * The event code of each kind in every version: 1 console, 2 entropy, 3 memory, 4 register,
     * 5 disk, 6 disk zeroes, 7 generation change (versions 3 and 4), 8 frame received (version 4).
     */
    public static int code(ReplayEvent e) {
        return switch (e) {
            case ReplayEvent.Input i -> i.event().kind().code;
            case ReplayEvent.MemoryWrite m -> 3;
            case ReplayEvent.RegisterWrite r -> 4;
            case ReplayEvent.DiskWrite d -> 5;
            case ReplayEvent.DiskZeroes z -> 6;
            case ReplayEvent.GenerationChange g -> 7;
        };
    }

    /** This log in format version 3, or 4 when it holds frames: any size. */
    public Encoded encode() {
        return ReplayLogV3.encode(this);
    }

    /** The header of a stored log file of any version; a version 1 or 2 file is decoded whole to count it. */
    public static Header header(byte[] file) {
        int version = version(file);
        if (version >= ReplayLogV3.VERSION) {
            return ReplayLogV3.header(file);
        }
        ReplayLog log = decode(file);
        long[] counts = new long[ReplayLogV3.KINDS + 1];     // versions 1 and 2 have no frames
        log.events().forEach(e -> counts[code(e)]++);
        return new Header(version, log.start(), log.events().size(), 0, 0, counts);
    }

    /**
     * Decodes a stored log: {@code file} and, for version 3, its two streams ({@code events} and
     * {@code data} may be null when the header says they are empty, and are ignored for older
     * versions). Any malformed input is a one-line {@link CorruptDataException}.
     */
    public static ReplayLog decode(byte[] file, Pages events, Pages data) {
        if (version(file) < ReplayLogV3.VERSION) {
            return decode(file);
        }
        return ReplayLogV3.decode(ReplayLogV3.header(file), events, data);
    }

    private static int version(byte[] file) {
        if (file.length < MAGIC.length + 1) {
            throw new CorruptDataException("replay log: truncated at byte " + file.length);
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (file[i] != MAGIC[i]) {
                throw new CorruptDataException("replay log: bad magic (not a vmtree replay log)");
            }
        }
        int version = file[MAGIC.length] & 0xFF;
        if (version < 1 || version > VERSION) {
            throw new CorruptDataException("replay log: version " + version + " is not supported (1 to " + VERSION + ")");
        }
        return version;
    }

    /**
     * The single-file encoding of versions 1 and 2 (payloads inline, at most 16 MiB each): version 1
     * unless the log holds an event only version 2 has. vmtree writes version 3; this stays for
     * tests and tools that make logs as older repositories hold them. A generation change (kind 7)
     * came after versions 1 and 2, so a log holding one is refused.
     */
    public byte[] encodeSingleFile() {
        if (events.stream().anyMatch(e -> e instanceof ReplayEvent.GenerationChange)) {
            throw new IllegalArgumentException("replay log: a generation change (event kind 7) exists only in version 3,"
                    + " not in the single-file versions 1 and 2");
        }
        if (events.stream().anyMatch(e -> code(e) == InputEvent.Kind.FRAME.code)) {
            throw new IllegalArgumentException("replay log: a received frame (event kind 8) exists only in version 4,"
                    + " not in the single-file versions 1 and 2");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        out.writeBytes(MAGIC);
        out.write(events.stream().anyMatch(e -> e instanceof ReplayEvent.DiskZeroes) ? 2 : 1);
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
                case ReplayEvent.GenerationChange g -> throw new AssertionError("refused above");
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes a single-file log (version 1 or 2); a version 3 header is refused here, as its events
     * are in streams ({@link #decode(byte[], Pages, Pages)}). Any malformed input is a one-line
     * {@link CorruptDataException}.
     */
    public static ReplayLog decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (byte m : MAGIC) {
                if (in.get() != m) {
                    throw new IllegalArgumentException("replay log: bad magic (not a vmtree replay log)");
                }
            }
            int version = in.get() & 0xFF;
            if (version >= ReplayLogV3.VERSION && version <= VERSION) {
                throw new IllegalArgumentException("replay log: version " + version
                        + " keeps its events in streams this file does not hold");
            }
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
                    case 7 -> throw new IllegalArgumentException("replay log: event kind 7 (a generation change) exists"
                            + " only in version 3, not in version " + version + " (event " + i + ")");
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
