package dev.vmtree.store;

import java.util.Arrays;

/**
 * An annotated tag object in {@code meta.git}, read and hash-checked against its id: the snapshot
 * it names, its tagger line and message, the exact bytes a signature covers ({@code payload}) and the
 * armored signature appended to them (null when unsigned). Format in docs/format.md ("Signed tags").
 */
public record TagObject(String id, String name, SnapshotId target, String tagger, String message, byte[] payload,
                        byte[] signature) {
    public TagObject {
        payload = payload.clone();
        signature = signature == null ? null : signature.clone();
    }

    public boolean signed() {
        return signature != null;
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public byte[] signature() {
        return signature == null ? null : signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TagObject t && t.id.equals(id) && Arrays.equals(t.payload, payload)
                && Arrays.equals(t.signature, signature);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }
}
