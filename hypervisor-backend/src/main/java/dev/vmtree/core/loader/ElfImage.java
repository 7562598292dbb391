package dev.vmtree.core.loader;

import java.util.List;
import java.util.OptionalLong;

/**
 * A parsed ELF64 RISC-V executable: its loadable segments (at physical addresses), entry point
 * (physical) and the symbols the hypervisor cares about.
 */
public record ElfImage(long entry, List<Segment> segments, OptionalLong tohost, OptionalLong fromhost) {

    /** A PT_LOAD segment: {@code fileSize} bytes from {@code fileOffset}, zero-filled up to {@code memSize}. */
    public record Segment(long physicalAddress, long fileOffset, long fileSize, long memSize) {}

    public ElfImage {
        segments = List.copyOf(segments);
    }

    /** One past the highest byte any segment occupies. */
    public long end() {
        return segments.stream().mapToLong(s -> s.physicalAddress() + s.memSize()).max().orElse(0);
    }
}
