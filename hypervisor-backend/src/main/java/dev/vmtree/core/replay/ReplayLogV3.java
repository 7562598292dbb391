package dev.vmtree.core.replay;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.core.input.InputEvent;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * ReplayLog format versions 3 and 4 (docs/format.md "ReplayLog"): a small header file (start, counts and
 * stream lengths), the event list as one paged stream that says only when and where, and every
 * payload in a second paged stream. The streams are stored as images, so a log of any size saves
 * and its pages are chunks the store dedups and collects like any other. A disk write that covers a
 * whole disk block lies in the payload stream at the same offset modulo {@link ReplayLog#PAGE} as on
 * the disk, so its full pages are the very chunks of the disk image. Version 4 is version 3 with
 * one more event kind, a frame the network card received, and so one more count in the header; a
 * log without frames is written as version 3, byte for byte as before version 4 existed.
 */
final class ReplayLogV3 {
    static final int VERSION = 3, VERSION_FRAMES = 4;
    /** Kinds counted in a version 3 header: event codes 1..7; version 4 counts 1..8. */
    static final int KINDS = 7, KINDS_FRAMES = 8;
    private static final int GENERATION_ID = 16;
    private static final int HEADER = 5 + 8 * 4 + 1;
    /** The smallest event record (an input event), to refuse counts the stream cannot hold. */
    private static final int MIN_EVENT = 1 + 8 + 4;

    private ReplayLogV3() {}

    static ReplayLog.Encoded encode(ReplayLog log) {
        PagedBytes.Writer events = new PagedBytes.Writer(), data = new PagedBytes.Writer();
        boolean frames = log.events().stream().anyMatch(e -> ReplayLog.code(e) == InputEvent.Kind.FRAME.code);
        int version = frames ? VERSION_FRAMES : VERSION, kinds = frames ? KINDS_FRAMES : KINDS;
        long[] counts = new long[kinds + 1];
        for (ReplayEvent e : log.events()) {
            int code = ReplayLog.code(e);
            counts[code]++;
            events.u8(code);
            events.u64(e.at());
            switch (e) {
                case ReplayEvent.Input i -> payload(events, data, i.event().data(), data.position());
                case ReplayEvent.MemoryWrite m -> {
                    events.u64(m.address());
                    payload(events, data, m.data(), data.position());
                }
                case ReplayEvent.RegisterWrite r -> {
                    events.u32(r.hart());
                    byte[] name = r.register().getBytes(StandardCharsets.UTF_8);
                    events.u32(name.length);
                    events.bytes(name);
                    events.u64(r.value());
                }
                case ReplayEvent.DiskWrite d -> {
                    events.u32(d.disk());
                    events.u64(d.offset());
                    byte[] b = d.data();
                    payload(events, data, b, place(data.position(), d.offset(), b.length));
                }
                case ReplayEvent.DiskZeroes z -> {
                    events.u32(z.disk());
                    events.u64(z.offset());
                    events.u64(z.length());
                }
                case ReplayEvent.GenerationChange g -> events.bytes(g.id());   // 16 bytes: in the list, not a payload
            }
        }
        ReplayLog.Stream ev = events.finish(), da = data.finish();
        ByteBuffer h = ByteBuffer.allocate(HEADER + 8 * kinds).order(ByteOrder.LITTLE_ENDIAN);
        h.put(ReplayLog.MAGIC).put((byte) version).putLong(log.start()).putLong(log.events().size())
                .putLong(ev.length()).putLong(da.length()).put((byte) kinds);
        for (int k = 1; k <= kinds; k++) {
            h.putLong(counts[k]);
        }
        return new ReplayLog.Encoded(h.array(), ev, da);
    }

    private static void payload(PagedBytes.Writer events, PagedBytes.Writer data, byte[] b, long at) {
        events.u32(b.length);
        data.padTo(at);
        data.bytes(b);
    }

    /**
     * Where a payload goes in the data stream when the stream stands at {@code cursor}: right there,
     * except that a disk write covering a whole disk block starts at the next position with the same
     * offset modulo a page as on the disk, so its whole pages equal the disk's blocks.
     */
    static long place(long cursor, long diskOffset, long length) {
        long firstWhole = Math.ceilDiv(diskOffset, ReplayLog.PAGE) * (long) ReplayLog.PAGE;
        if (firstWhole + ReplayLog.PAGE > diskOffset + length) {
            return cursor;
        }
        return cursor + Math.floorMod(diskOffset - cursor, ReplayLog.PAGE);
    }

    /** The header of a version 3 or 4 file: validated on its own, without the streams. */
    static ReplayLog.Header header(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int version = file.length > 4 ? file[4] & 0xFF : VERSION;
        int expectedKinds = version == VERSION_FRAMES ? KINDS_FRAMES : KINDS;
        try {
            in.position(5);
            long start = in.getLong(), count = in.getLong(), eventBytes = in.getLong(), dataBytes = in.getLong();
            int kinds = in.get() & 0xFF;
            if (start < 0 || count < 0 || eventBytes < 0 || dataBytes < 0) {
                throw new CorruptDataException("replay log: negative field in the header");
            }
            if (kinds != expectedKinds) {
                throw new CorruptDataException("replay log: the header counts " + kinds + " event kinds, version " + version
                        + " has " + expectedKinds);
            }
            long[] counts = new long[kinds + 1];
            long sum = 0;
            for (int k = 1; k <= kinds; k++) {
                counts[k] = in.getLong();
                if (counts[k] < 0) {
                    throw new CorruptDataException("replay log: negative count of event kind " + k);
                }
                sum += counts[k];
            }
            if (in.hasRemaining()) {
                throw new CorruptDataException("replay log: " + in.remaining() + " bytes after the header");
            }
            if (sum != count) {
                throw new CorruptDataException("replay log: the header counts " + sum + " events by kind but " + count
                        + " in all");
            }
            if (count > Integer.MAX_VALUE - 8 || count * MIN_EVENT > eventBytes) {
                throw new CorruptDataException("replay log: " + count + " events cannot fit in " + eventBytes + " bytes");
            }
            return new ReplayLog.Header(version, start, count, eventBytes, dataBytes, counts);
        } catch (BufferUnderflowException e) {
            throw new CorruptDataException("replay log: header truncated at byte " + in.position());
        }
    }

    static ReplayLog decode(ReplayLog.Header h, ReplayLog.Pages eventPages, ReplayLog.Pages dataPages) {
        try {
            return decodeStreams(h, eventPages, dataPages);
        } catch (CorruptDataException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // an event the records refuse (a negative count, events out of order): the bytes are at fault
            throw new CorruptDataException("replay log: " + e.getMessage(), e);
        }
    }

    private static ReplayLog decodeStreams(ReplayLog.Header h, ReplayLog.Pages eventPages, ReplayLog.Pages dataPages) {
        if ((h.eventBytes() > 0 && eventPages == null) || (h.dataBytes() > 0 && dataPages == null)) {
            throw new CorruptDataException("replay log: the " + (h.eventBytes() > 0 && eventPages == null ? "event list"
                    : "payload") + " of a version 3 log is missing");
        }
        PagedBytes.Reader ev = new PagedBytes.Reader("event list", eventPages, h.eventBytes());
        PagedBytes.Reader da = new PagedBytes.Reader("payloads", dataPages, h.dataBytes());
        long[] counts = new long[h.counts().length];
        List<ReplayEvent> events = new ArrayList<>();
        for (long i = 0; i < h.events(); i++) {
            int kind = ev.u8();
            long at = ev.u64();
            if (kind >= 1 && kind < counts.length) {
                counts[kind]++;
            }
            events.add(switch (kind) {
                case 1, 2 -> new ReplayEvent.Input(new InputEvent(at, InputEvent.Kind.of(kind), payload(ev, da, da.position())));
                case 8 -> {
                    if (h.version() != VERSION_FRAMES) {
                        throw new CorruptDataException("replay log: event kind 8 (a received frame) exists only in version 4"
                                + " (event " + i + ")");
                    }
                    yield new ReplayEvent.Input(new InputEvent(at, InputEvent.Kind.FRAME, payload(ev, da, da.position())));
                }
                case 3 -> {
                    long address = ev.u64();
                    yield new ReplayEvent.MemoryWrite(at, address, payload(ev, da, da.position()));
                }
                case 4 -> {
                    int hart = ev.u32();
                    long n = ev.u32() & 0xFFFF_FFFFL;
                    if (n > ReplayLog.MAX_NAME) {
                        throw new CorruptDataException("replay log: register name of " + n + " bytes (event " + i + ")");
                    }
                    String name = new String(ev.bytes(n), StandardCharsets.UTF_8);
                    yield new ReplayEvent.RegisterWrite(at, hart, name, ev.u64());
                }
                case 5 -> {
                    int disk = ev.u32();
                    long offset = ev.u64();
                    long n = ev.u32() & 0xFFFF_FFFFL;
                    if (offset < 0) {
                        throw new CorruptDataException("replay log: negative disk offset (event " + i + ")");
                    }
                    long p = place(da.position(), offset, n);
                    da.skipTo(p);
                    yield new ReplayEvent.DiskWrite(at, disk, offset, da.bytes(n));
                }
                case 6 -> {
                    int disk = ev.u32();
                    long offset = ev.u64(), length = ev.u64();
                    if (offset < 0 || length < 0) {
                        throw new CorruptDataException("replay log: negative disk range (event " + i + ")");
                    }
                    yield new ReplayEvent.DiskZeroes(at, disk, offset, length);
                }
                case 7 -> new ReplayEvent.GenerationChange(at, ev.bytes(GENERATION_ID));
                default -> throw new CorruptDataException("replay log: unknown event kind " + kind + " (event " + i + ")");
            });
        }
        if (ev.remaining() != 0) {
            throw new CorruptDataException("replay log: " + ev.remaining() + " bytes after the last event");
        }
        if (da.remaining() != 0) {
            throw new CorruptDataException("replay log: " + da.remaining() + " payload bytes no event names");
        }
        for (int k = 1; k < counts.length; k++) {
            if (counts[k] != h.counts()[k]) {
                throw new CorruptDataException("replay log: the header counts " + h.counts()[k] + " events of kind " + k
                        + " but the list holds " + counts[k]);
            }
        }
        return new ReplayLog(h.start(), events);
    }

    private static byte[] payload(PagedBytes.Reader ev, PagedBytes.Reader da, long at) {
        long n = ev.u32() & 0xFFFF_FFFFL;
        da.skipTo(at);
        return da.bytes(n);
    }
}
