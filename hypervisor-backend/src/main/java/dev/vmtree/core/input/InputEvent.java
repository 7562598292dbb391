package dev.vmtree.core.input;

import java.util.Objects;

/**
 * One delivery of outside bytes into a machine, stamped with the global instruction count at
 * which the guest received them: the unit of a ReplayLog. Immutable.
 */
public record InputEvent(long at, Kind kind, byte[] data) {

    /** Where the bytes went. Codes are part of the ReplayLog format (docs/format.md). */
    public enum Kind {
        CONSOLE(1), ENTROPY(2),
        /** An Ethernet frame received by the machine's network card (ReplayLog version 4). */
        FRAME(8);

        public final int code;

        Kind(int code) {
            this.code = code;
        }

        public static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown input event kind " + code);
        }
    }

    public InputEvent {
        Objects.requireNonNull(kind, "kind");
        if (at < 0) {
            throw new IllegalArgumentException("negative instruction count " + at);
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("an input event carries at least one byte");
        }
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    public int length() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InputEvent e && at == e.at && kind == e.kind && java.util.Arrays.equals(data, e.data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(at) * 31 + kind.hashCode() * 7 + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return kind + "@" + at + "[" + data.length + "]";
    }
}
