package dev.vmtree.store.pack;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Byte layout of pack and index files, format version 1 (docs/format.md, "Snapshot store").
 * Every length field that says how long a header is lets a later version append fields that
 * this reader skips.
 */
public final class PackFormat {
    private PackFormat() {}

    public static final byte[] PACK_MAGIC = "VMTREEPK".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] INDEX_MAGIC = "VMTREEIX".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;

    /** Pack header: magic(8) version(4) headerLength(4). */
    public static final int PACK_HEADER = 16;

    /** Record header: encoding(1) flags(1) headerLength(2) rawLength(4) storedLength(4) id(32). */
    public static final int RECORD_HEADER = 44;
    public static final int RECORD_TRAILER = 4;

    public static final int ENCODING_RAW = 0;
    public static final int ENCODING_LZ4 = 1;

    /** Index header: magic(8) version(4) headerLength(4) entryLength(4) reserved(4) count(8) packLength(8). */
    public static final int INDEX_HEADER = 40;
    /** Index entry: id(32) recordOffset(8) recordLength(4) rawLength(4). */
    public static final int INDEX_ENTRY = 48;

    /** Largest chunk accepted, so a forged length cannot make a reader allocate without bound. */
    public static final int MAX_CHUNK = 16 << 20;

    public static final String PACK_SUFFIX = ".pack";
    public static final String INDEX_SUFFIX = ".idx";

    public static byte[] packHeader() {
        ByteBuffer bb = ByteBuffer.allocate(PACK_HEADER);
        bb.put(PACK_MAGIC).putInt(VERSION).putInt(PACK_HEADER);
        return bb.array();
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    static int crc(ByteBuffer bb) {
        CRC32C c = new CRC32C();
        c.update(bb);
        return (int) c.getValue();
    }
}
