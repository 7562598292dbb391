package dev.vmtree.store;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The address of a chunk: the SHA-256 of its raw (uncompressed) bytes, held as four big-endian
 * longs so equality, hashing and ordering cost no allocation. {@link #ZERO} (32 zero bytes) is
 * reserved for "all zero": a zero page or a subtree of zero pages, which is never stored.
 */
public record ChunkId(long h0, long h1, long h2, long h3) implements Comparable<ChunkId> {

    public static final int BYTES = 32;
    public static final ChunkId ZERO = new ChunkId(0, 0, 0, 0);

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
    });

    /** The id of {@code len} bytes of {@code data} at {@code off}. */
    public static ChunkId hash(byte[] data, int off, int len) {
        MessageDigest md = SHA256.get();
        md.update(data, off, len);
        return fromBytes(md.digest(), 0);
    }

    public static ChunkId hash(byte[] data) {
        return hash(data, 0, data.length);
    }

    public static ChunkId fromBytes(byte[] b, int off) {
        ByteBuffer bb = ByteBuffer.wrap(b, off, BYTES);
        return new ChunkId(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
    }

    public static ChunkId read(ByteBuffer bb) {
        return new ChunkId(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
    }

    /** Parses 64 hex digits; throws {@link IllegalArgumentException} naming the bad text. */
    public static ChunkId parse(String hex) {
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("not a chunk id (64 hex digits): " + hex);
        }
        try {
            return fromBytes(HexFormat.of().parseHex(hex), 0);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a chunk id (64 hex digits): " + hex, e);
        }
    }

    public boolean isZero() {
        return (h0 | h1 | h2 | h3) == 0;
    }

    public void write(ByteBuffer bb) {
        bb.putLong(h0).putLong(h1).putLong(h2).putLong(h3);
    }

    public void write(byte[] dst, int off) {
        write(ByteBuffer.wrap(dst, off, BYTES));
    }

    public byte[] toBytes() {
        byte[] b = new byte[BYTES];
        write(b, 0);
        return b;
    }

    public String hex() {
        return HexFormat.of().formatHex(toBytes());
    }

    /** The first 12 hex digits, for messages. */
    public String shortHex() {
        return hex().substring(0, 12);
    }

    @Override
    public int compareTo(ChunkId o) {
        int c = Long.compareUnsigned(h0, o.h0);
        if (c == 0) c = Long.compareUnsigned(h1, o.h1);
        if (c == 0) c = Long.compareUnsigned(h2, o.h2);
        if (c == 0) c = Long.compareUnsigned(h3, o.h3);
        return c;
    }

    @Override
    public String toString() {
        return hex();
    }
}
