package dev.vmtree.dom0;

import java.util.regex.Pattern;

/**
 * The identity of a whole machine state: 64 lower-case hex digits of the SHA-256 defined in
 * docs/format.md (ARCHITECTURE.md Contracts). Equal ids, identical machines. The core computes
 * it; the toolstack only stores and compares it.
 */
public record StateId(String hex) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public StateId {
        if (!HEX64.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a StateId (64 lower-case hex digits): " + hex);
        }
    }

    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return hex;
    }
}
