package dev.vmtree.core.replay;

import dev.vmtree.core.input.InputEvent;
import java.util.Arrays;
import java.util.Objects;

/**
 * One change to a machine's state that is not the deterministic execution of its instructions
 * (ARCHITECTURE.md Contracts), stamped with the global instruction count at which it happened:
 * outside input, or an edit made from Dom0 while the machine was stopped. Immutable.
 */
public sealed interface ReplayEvent {

    long at();

    /** Console bytes or entropy delivered by the machine's input. */
    record Input(InputEvent event) implements ReplayEvent {
        public Input {
            Objects.requireNonNull(event, "event");
        }

        @Override
        public long at() {
            return event.at();
        }
    }

    /** {@code vmtree mem write}: bytes written at a guest-physical address. */
    record MemoryWrite(long at, long address, byte[] data) implements ReplayEvent {
        public MemoryWrite {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MemoryWrite m && at == m.at && address == m.address && Arrays.equals(data, m.data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(at) * 31 + Long.hashCode(address) * 7 + Arrays.hashCode(data);
        }
    }

    /** {@code vmtree reg NAME=VALUE}: one register of one hart set. */
    record RegisterWrite(long at, int hart, String register, long value) implements ReplayEvent {
        public RegisterWrite {
            Objects.requireNonNull(register, "register");
        }
    }

    /** A write into a disk from outside the guest (an NBD export of an instance). */
    record DiskWrite(long at, int disk, long offset, byte[] data) implements ReplayEvent {
        public DiskWrite {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DiskWrite d && at == d.at && disk == d.disk && offset == d.offset
                    && Arrays.equals(data, d.data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(at) * 31 + disk * 7 + Long.hashCode(offset) + Arrays.hashCode(data);
        }
    }

    /** {@code length} bytes of a disk zeroed (or trimmed) from outside the guest, e.g. NBD WRITE_ZEROES. */
    record DiskZeroes(long at, int disk, long offset, long length) implements ReplayEvent {
        public DiskZeroes {
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("negative disk range");
            }
        }
    }

    /**
     * A fresh VM generation ID given from Dom0 (a new instance's first run, or {@code --new-generation}):
     * the machine's generation ID device takes these 16 bytes and raises its interrupt, so the guest
     * reseeds its random number generator.
     */
    record GenerationChange(long at, byte[] id) implements ReplayEvent {
        public GenerationChange {
            if (id.length != 16) {
                throw new IllegalArgumentException("a generation ID has 16 bytes, not " + id.length);
            }
            id = id.clone();
        }

        @Override
        public byte[] id() {
            return id.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof GenerationChange g && at == g.at && Arrays.equals(id, g.id);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(at) * 31 + Arrays.hashCode(id);
        }
    }
}
