package dev.vmtree.store.pack;

import dev.vmtree.store.ChunkId;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Encodes a chunk into a pack record (LZ4 when it saves at least 1/16, raw otherwise) and decodes
 * a record back, verifying its checksum and the SHA-256 of the result. Thread-safe.
 */
public final class ChunkCodec {
    private ChunkCodec() {}

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();
    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

    /** Implementation LZ4 uses here (JNI or pure Java), for benchmark reports. */
    public static String lz4Implementation() {
        return LZ4.toString();
    }

    /** A whole record for {@code data[off, off+len)} whose id is already known. */
    public static byte[] encode(ChunkId id, byte[] data, int off, int len) {
        int max = COMPRESSOR.maxCompressedLength(len);
        byte[] scratch = SCRATCH.get();
        if (scratch.length < max) {
            scratch = new byte[max];
            SCRATCH.set(scratch);
        }
        int clen = COMPRESSOR.compress(data, off, len, scratch, 0, max);
        boolean lz4 = clen < len - (len >> 4);
        int stored = lz4 ? clen : len;
        byte[] rec = new byte[PackFormat.RECORD_HEADER + stored + PackFormat.RECORD_TRAILER];
        ByteBuffer bb = ByteBuffer.wrap(rec);
        bb.put((byte) (lz4 ? PackFormat.ENCODING_LZ4 : PackFormat.ENCODING_RAW)).put((byte) 0)
                .putShort((short) PackFormat.RECORD_HEADER).putInt(len).putInt(stored);
        id.write(bb);
        if (lz4) {
            bb.put(scratch, 0, clen);
        } else {
            bb.put(data, off, len);
        }
        bb.putInt(PackFormat.crc(rec, 0, rec.length - PackFormat.RECORD_TRAILER));
        return rec;
    }

    /** Why a record could not be decoded; the caller adds where it was. */
    public static final class DamagedRecordException extends Exception {
        public DamagedRecordException(String reason) {
            super(reason);
        }
    }

    /**
     * Decodes the record in {@code rec[0, len)} that should hold chunk {@code expected}.
     *
     * @param checkCrc also verify the record checksum (fsck, gc); the SHA-256 is always verified
     */
    public static byte[] decode(byte[] rec, int len, ChunkId expected, boolean checkCrc) throws DamagedRecordException {
        return decode(rec, 0, len, expected, checkCrc);
    }

    /** Decodes the record in {@code buf[off, off+len)}; see {@link #decode(byte[], int, ChunkId, boolean)}. */
    public static byte[] decode(byte[] buf, int off, int len, ChunkId expected, boolean checkCrc) throws DamagedRecordException {
        if (len < PackFormat.RECORD_HEADER + PackFormat.RECORD_TRAILER) {
            throw new DamagedRecordException("truncated record");
        }
        ByteBuffer bb = ByteBuffer.wrap(buf, off, len);
        int encoding = bb.get() & 0xff;
        bb.get();
        int headerLength = bb.getShort() & 0xffff;
        int raw = bb.getInt();
        int stored = bb.getInt();
        if (headerLength < PackFormat.RECORD_HEADER || raw < 0 || raw > PackFormat.MAX_CHUNK || stored < 0
                || headerLength + (long) stored + PackFormat.RECORD_TRAILER != len) {
            throw new DamagedRecordException("malformed record header");
        }
        ChunkId id = ChunkId.read(bb);
        if (checkCrc) {
            int crc = ByteBuffer.wrap(buf, off + len - PackFormat.RECORD_TRAILER, 4).getInt();
            if (PackFormat.crc(buf, off, len - PackFormat.RECORD_TRAILER) != crc) {
                throw new DamagedRecordException("record checksum mismatch");
            }
        }
        if (!id.equals(expected)) {
            throw new DamagedRecordException("record holds chunk " + id.shortHex() + " instead");
        }
        byte[] out;
        if (encoding == PackFormat.ENCODING_RAW) {
            if (stored != raw) {
                throw new DamagedRecordException("malformed raw record");
            }
            out = java.util.Arrays.copyOfRange(buf, off + headerLength, off + headerLength + stored);
        } else if (encoding == PackFormat.ENCODING_LZ4) {
            out = new byte[raw];
            int n;
            try {
                n = DECOMPRESSOR.decompress(buf, off + headerLength, stored, out, 0, raw);
            } catch (LZ4Exception e) {
                throw new DamagedRecordException("LZ4 data is corrupt");
            }
            if (n != raw) {
                throw new DamagedRecordException("LZ4 data decodes to " + n + " bytes, expected " + raw);
            }
        } else {
            throw new DamagedRecordException("unknown encoding " + encoding);
        }
        if (!ChunkId.hash(out).equals(expected)) {
            throw new DamagedRecordException("content does not match its SHA-256");
        }
        return out;
    }

    private static final byte[] ZEROS = new byte[64 << 10];

    /** True when every byte of {@code data[off, off+len)} is zero (vectorized compare). */
    public static boolean isZero(byte[] data, int off, int len) {
        for (int done = 0; done < len; ) {
            int n = Math.min(ZEROS.length, len - done);
            if (java.util.Arrays.mismatch(data, off + done, off + done + n, ZEROS, 0, n) != -1) {
                return false;
            }
            done += n;
        }
        return true;
    }
}
