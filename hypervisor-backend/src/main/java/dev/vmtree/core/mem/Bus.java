package dev.vmtree.core.mem;

import dev.vmtree.cow.PagedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The physical address map of a machine: guest RAM (a {@link PagedImage}) at {@link #RAM_BASE} and
 * MMIO devices at fixed ranges. Anything else is unmapped: the harts turn such accesses into access
 * faults. Also carries at most one RAM write watch (the HTIF {@code tohost} word), which the core
 * honours by never caching that page for writes.
 *
 * <p>Built before the machine runs; used from the machine's thread only.
 */
public final class Bus {
    public static final long RAM_BASE = 0x8000_0000L;
    public static final int PAGE_SHIFT = 12;
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;

    /** A device range. */
    public record Region(long base, long size, MmioDevice device, String name) {
        public Region {
            Objects.requireNonNull(device, "device");
            if (size <= 0 || base < 0 || base + size < base) {
                throw new IllegalArgumentException("bad MMIO range for " + name);
            }
        }

        boolean contains(long pa) {
            return pa >= base && pa - base < size;
        }
    }

    /** Notified after a store to a watched RAM address has been written. */
    @FunctionalInterface
    public interface WriteWatch {
        void written(long physicalAddress, int size, long value);
    }

    private final PagedImage ram;
    private final long ramSize;
    private Region[] regions = new Region[0];
    private long watchBase = -1;
    private long watchSize;
    private WriteWatch watch;

    public Bus(PagedImage ram) {
        this.ram = Objects.requireNonNull(ram, "ram");
        if (ram.pageSize() != PAGE_SIZE) {
            throw new IllegalArgumentException("guest RAM needs " + PAGE_SIZE + "-byte pages, not " + ram.pageSize());
        }
        this.ramSize = ram.size();
    }

    public PagedImage ram() {
        return ram;
    }

    public long ramSize() {
        return ramSize;
    }

    public boolean isRam(long pa, long len) {
        return pa >= RAM_BASE && len <= ramSize && pa - RAM_BASE <= ramSize - len;
    }

    /** Maps a device; ranges may not overlap RAM or each other. */
    public void map(long base, long size, MmioDevice device, String name) {
        Region r = new Region(base, size, device, name);
        if (base < RAM_BASE + ramSize && RAM_BASE < base + size) {
            throw new IllegalArgumentException(name + " overlaps RAM");
        }
        for (Region o : regions) {
            if (base < o.base + o.size && o.base < base + size) {
                throw new IllegalArgumentException(name + " overlaps " + o.name);
            }
        }
        List<Region> all = new ArrayList<>(Arrays.asList(regions));
        all.add(r);
        all.sort((a, b) -> Long.compareUnsigned(a.base, b.base));
        regions = all.toArray(Region[]::new);
    }

    /** The device at {@code pa}, or null when none is mapped there. */
    public Region device(long pa) {
        for (Region r : regions) {
            if (r.contains(pa)) {
                return r;
            }
        }
        return null;
    }

    public List<Region> devices() {
        return List.of(regions);
    }

    /** Watches stores to {@code [pa, pa+size)} in RAM; one watch per bus. */
    public void watch(long pa, long size, WriteWatch w) {
        if (!isRam(pa, size)) {
            throw new IllegalArgumentException("watched range is not in RAM: 0x" + Long.toHexString(pa));
        }
        watchBase = pa;
        watchSize = size;
        watch = Objects.requireNonNull(w);
    }

    /** RAM page index holding the watched word, or -1. */
    public long watchedPage() {
        return watchBase < 0 ? -1 : (watchBase - RAM_BASE) >>> PAGE_SHIFT;
    }

    /** Called by the core after a slow-path RAM store. */
    public void afterRamStore(long pa, int size, long value) {
        if (watch != null && pa < watchBase + watchSize && watchBase < pa + size) {
            watch.written(pa, size, value);
        }
    }
}
