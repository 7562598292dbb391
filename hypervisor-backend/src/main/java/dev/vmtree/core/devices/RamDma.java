package dev.vmtree.core.devices;

import dev.vmtree.cow.PagedImage;
import java.util.Objects;

/**
 * {@link GuestMemoryAccess} over a RAM image mapped at {@code base}. Writes go straight into the
 * image; a {@link WriteObserver} hears about each written range so the owner can drop caches of
 * those pages (decoded instructions, TLB entries). Ranges are checked with unsigned arithmetic, so
 * huge lengths and addresses that wrap around are rejected, not thrown. Not thread-safe.
 */
public final class RamDma implements GuestMemoryAccess {

    /** Told after guest RAM changed under the harts. */
    @FunctionalInterface
    public interface WriteObserver {
        WriteObserver NONE = (pa, len) -> {};

        void written(long pa, int len);
    }

    private final PagedImage ram;
    private final long base;
    private final WriteObserver observer;

    public RamDma(PagedImage ram, long base, WriteObserver observer) {
        this.ram = Objects.requireNonNull(ram, "ram");
        this.base = base;
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    public RamDma(PagedImage ram, long base) {
        this(ram, base, WriteObserver.NONE);
    }

    /** True when {@code [pa, pa + len)} lies inside RAM. */
    public boolean contains(long pa, long len) {
        long off = pa - base;
        long size = ram.size();
        return len >= 0 && Long.compareUnsigned(off, size) <= 0 && Long.compareUnsigned(len, size - off) <= 0;
    }

    @Override
    public boolean read(long pa, byte[] dst, int off, int len) {
        if (!contains(pa, len)) {
            return false;
        }
        ram.read(pa - base, dst, off, len);
        return true;
    }

    @Override
    public boolean write(long pa, byte[] src, int off, int len) {
        if (!contains(pa, len)) {
            return false;
        }
        ram.write(pa - base, src, off, len);
        observer.written(pa, len);
        return true;
    }
}
