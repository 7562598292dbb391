package dev.vmtree.dom0;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A VM generation ID (16 bytes, as the {@code microsoft,vmgenid} device shows it) as 32 lower-case
 * hex digits. Dom0 gives a machine a fresh one from host randomness whenever it becomes a copy of a
 * snapshot (docs/security.md, "Clones"), so twin guests reseed their random number generators.
 */
public record GenerationId(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public GenerationId {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("a generation ID is 32 lower-case hex digits: " + hex);
        }
    }

    /** A fresh ID from the host's secure random source. */
    public static GenerationId random() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return of(b);
    }

    public static GenerationId of(byte[] bytes) {
        if (bytes.length != 16) {
            throw new IllegalArgumentException("a generation ID has 16 bytes, not " + bytes.length);
        }
        return new GenerationId(HexFormat.of().formatHex(bytes));
    }

    public byte[] bytes() {
        return HexFormat.of().parseHex(hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
