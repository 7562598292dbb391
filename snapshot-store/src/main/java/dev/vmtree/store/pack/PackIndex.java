package dev.vmtree.store.pack;

import dev.vmtree.store.ChunkId;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The immutable, loaded index of one pack: chunk ids sorted (unsigned), each with the offset and
 * length of its record. Loading is one checksum pass and one parse pass over a flat array, so a
 * pack of 262,144 chunks opens in milliseconds; lookups are a binary search on the first 8 bytes.
 * Thread-safe (immutable).
 */
public final class PackIndex {
    private final long[] ids;      // 4 longs per entry, sorted
    private final long[] offsets;
    private final int[] recordLengths;
    private final int[] rawLengths;
    private final long packLength;
    // A Bloom filter over the ids (about 10 bits per id, 3 probes, under 2% false hits), so a
    // lookup among many packs binary-searches only the packs that may hold the id. Ids are
    // SHA-256 digests, already uniform: their own bits are the hash functions.
    private final long[] bloom;
    private final int bloomMask;

    private PackIndex(long[] ids, long[] offsets, int[] recordLengths, int[] rawLengths, long packLength) {
        this.ids = ids;
        this.offsets = offsets;
        this.recordLengths = recordLengths;
        this.rawLengths = rawLengths;
        this.packLength = packLength;
        int bits = Integer.highestOneBit(Math.max(64, offsets.length * 10 - 1)) << 1;
        this.bloom = new long[bits >>> 6];
        this.bloomMask = bits - 1;
        for (int i = 0; i < offsets.length; i++) {
            setBit((int) ids[4 * i + 1]);
            setBit((int) ids[4 * i + 2]);
            setBit((int) ids[4 * i + 3]);
        }
    }

    private void setBit(int h) {
        int b = h & bloomMask;
        bloom[b >>> 6] |= 1L << b;
    }

    private boolean bit(int h) {
        int b = h & bloomMask;
        return (bloom[b >>> 6] & (1L << b)) != 0;
    }

    /** One entry as the writer gives it. */
    public record Entry(ChunkId id, long offset, int recordLength, int rawLength) {}

    public int size() {
        return offsets.length;
    }

    /** Bytes of the pack this index covers; a pack may be longer (an interrupted append). */
    public long packLength() {
        return packLength;
    }

    /** Position of {@code id} or -1. */
    public int find(ChunkId id) {
        if (!bit((int) id.h1()) || !bit((int) id.h2()) || !bit((int) id.h3())) {
            return -1;
        }
        int lo = 0;
        int hi = offsets.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compareAt(mid, id);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    private int compareAt(int i, ChunkId id) {
        int c = Long.compareUnsigned(ids[4 * i], id.h0());
        if (c == 0) c = Long.compareUnsigned(ids[4 * i + 1], id.h1());
        if (c == 0) c = Long.compareUnsigned(ids[4 * i + 2], id.h2());
        if (c == 0) c = Long.compareUnsigned(ids[4 * i + 3], id.h3());
        return c;
    }

    public ChunkId id(int i) {
        return new ChunkId(ids[4 * i], ids[4 * i + 1], ids[4 * i + 2], ids[4 * i + 3]);
    }

    public long offset(int i) {
        return offsets[i];
    }

    public int recordLength(int i) {
        return recordLengths[i];
    }

    public int rawLength(int i) {
        return rawLengths[i];
    }

    /** Encodes entries (any order; sorted here) covering {@code packLength} bytes of a pack. */
    public static byte[] encode(Entry[] entries, long packLength) {
        Entry[] sorted = entries.clone();
        Arrays.sort(sorted, (a, b) -> a.id().compareTo(b.id()));
        ByteBuffer bb = ByteBuffer.allocate(PackFormat.INDEX_HEADER + sorted.length * PackFormat.INDEX_ENTRY + 4);
        bb.put(PackFormat.INDEX_MAGIC).putInt(PackFormat.VERSION).putInt(PackFormat.INDEX_HEADER)
                .putInt(PackFormat.INDEX_ENTRY).putInt(0).putLong(sorted.length).putLong(packLength);
        for (Entry e : sorted) {
            e.id().write(bb);
            bb.putLong(e.offset()).putInt(e.recordLength()).putInt(e.rawLength());
        }
        bb.putInt(PackFormat.crc(bb.array(), 0, bb.position()));
        return bb.array();
    }

    /**
     * Decodes and validates an index file.
     *
     * @throws IllegalArgumentException with a short reason (bad magic, checksum mismatch, ...)
     */
    public static PackIndex decode(byte[] b) {
        if (b.length < PackFormat.INDEX_HEADER + 4) {
            throw new IllegalArgumentException("truncated (" + b.length + " bytes)");
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        byte[] magic = new byte[8];
        bb.get(magic);
        if (!Arrays.equals(magic, PackFormat.INDEX_MAGIC)) {
            throw new IllegalArgumentException("not a vmtree pack index (bad magic)");
        }
        int version = bb.getInt();
        if (version != PackFormat.VERSION) {
            throw new IllegalArgumentException("unsupported index format version " + version);
        }
        int headerLength = bb.getInt();
        int entryLength = bb.getInt();
        bb.getInt();
        long count = bb.getLong();
        long packLength = bb.getLong();
        if (headerLength < PackFormat.INDEX_HEADER || entryLength < PackFormat.INDEX_ENTRY || count < 0
                || count > (b.length - headerLength - 4) / entryLength
                || headerLength + count * entryLength + 4 != b.length) {
            throw new IllegalArgumentException("truncated or malformed (header says " + count + " entries)");
        }
        int stored = ByteBuffer.wrap(b, b.length - 4, 4).getInt();
        if (PackFormat.crc(b, 0, b.length - 4) != stored) {
            throw new IllegalArgumentException("checksum mismatch");
        }
        int n = (int) count;
        long[] ids = new long[4 * n];
        long[] offsets = new long[n];
        int[] recordLengths = new int[n];
        int[] rawLengths = new int[n];
        for (int i = 0; i < n; i++) {
            bb.position(headerLength + i * entryLength);
            ids[4 * i] = bb.getLong();
            ids[4 * i + 1] = bb.getLong();
            ids[4 * i + 2] = bb.getLong();
            ids[4 * i + 3] = bb.getLong();
            offsets[i] = bb.getLong();
            recordLengths[i] = bb.getInt();
            rawLengths[i] = bb.getInt();
            if (offsets[i] < PackFormat.PACK_HEADER || offsets[i] + recordLengths[i] > packLength
                    || recordLengths[i] < PackFormat.RECORD_HEADER + PackFormat.RECORD_TRAILER
                    || rawLengths[i] < 0 || rawLengths[i] > PackFormat.MAX_CHUNK) {
                throw new IllegalArgumentException("entry " + i + " points outside the pack");
            }
            if (i > 0 && !unsignedLess(ids, 4 * i - 4, 4 * i)) {
                throw new IllegalArgumentException("entries out of order at " + i);
            }
        }
        return new PackIndex(ids, offsets, recordLengths, rawLengths, packLength);
    }

    private static boolean unsignedLess(long[] ids, int a, int b) {
        for (int k = 0; k < 4; k++) {
            int c = Long.compareUnsigned(ids[a + k], ids[b + k]);
            if (c != 0) {
                return c < 0;
            }
        }
        return false;
    }
}
