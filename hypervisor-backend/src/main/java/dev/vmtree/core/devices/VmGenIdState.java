package dev.vmtree.core.devices;

import java.util.Arrays;

/**
 * Everything a {@link VmGenerationId} remembers: the 16-byte generation ID and whether its
 * interrupt line is raised (a change the guest has not read yet). Immutable.
 */
public record VmGenIdState(byte[] id, boolean line) {
    public VmGenIdState {
        if (id.length != VmGenerationId.ID_BYTES) {
            throw new IllegalArgumentException("a generation ID has " + VmGenerationId.ID_BYTES + " bytes, not "
                    + id.length);
        }
        id = id.clone();
    }

    @Override
    public byte[] id() {
        return id.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VmGenIdState s && line == s.line && Arrays.equals(id, s.id);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(id) * 2 + (line ? 1 : 0);
    }
}
