package dev.vmtree.store;

import java.util.regex.Pattern;

/** A snapshot: the 40-hex-digit id of its Git commit in {@code .vmtree/meta.git}. */
public record SnapshotId(String hex) {
    private static final Pattern HEX40 = Pattern.compile("[0-9a-f]{40}");

    public SnapshotId {
        if (!HEX40.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a snapshot id (40 lower-case hex digits): " + hex);
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
