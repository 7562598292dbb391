package dev.vmtree.core.state;

import dev.vmtree.store.PageTreeRoot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * StateId v1 (docs/format.md, "StateId"): SHA-256 over
 * {@code "vmtree-state\0" || u32 len || execution encoding || u32 image count || per image (root 32 bytes,
 * size u64, page size u32)}, integers little-endian, as 64 lower-case hex digits. Stateless.
 */
public final class StateIds {
    static final byte[] DOMAIN = "vmtree-state\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private StateIds() {}

    public static String of(byte[] executionEncoding, List<PageTreeRoot> images) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + images.size() * 44).order(ByteOrder.LITTLE_ENDIAN);
        md.update(DOMAIN);
        b.putInt(executionEncoding.length);
        md.update(b.array(), 0, 4);
        md.update(executionEncoding);
        b.clear();
        b.putInt(images.size());
        for (PageTreeRoot r : images) {
            byte[] id = new byte[32];
            r.root().write(id, 0);
            b.put(id).putLong(r.size()).putInt(r.pageSize());
        }
        md.update(b.array(), 0, b.position());
        return HexFormat.of().formatHex(md.digest());
    }
}
