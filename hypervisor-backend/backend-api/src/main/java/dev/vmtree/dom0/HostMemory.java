package dev.vmtree.dom0;

/**
 * Whether a machine's RAM fits in this process before it starts. Guest RAM pages live in the Java
 * heap as the guest touches them, so a guest given more than the heap can hold would end in an
 * OutOfMemoryError partway through a run, and the run would be lost; refusing up front, with the
 * way to raise the heap, loses nothing. Disks are not counted: their unwritten blocks stay in the
 * store or the image file, and only blocks written during one run are held until it suspends.
 */
public final class HostMemory {
    private HostMemory() {}

    /** Heap kept for vmtree itself beside guest RAM: page tables, store and JGit caches, disk blocks written in a run. */
    public static final long RESERVE = 512L << 20;

    /** Refuses (CANNOT_RUN) a machine of {@code ramBytes} of RAM that this JVM's heap cannot hold. */
    public static void checkGuestRam(long ramBytes) {
        long heap = Runtime.getRuntime().maxMemory();
        if (fits(ramBytes, heap)) {
            return;
        }
        throw refusal(ramBytes, heap, physicalMemory());
    }

    static boolean fits(long ramBytes, long heap) {
        return heap == Long.MAX_VALUE || ramBytes <= heap - RESERVE;
    }

    /** The one-line refusal: how to raise the heap, or, when the host itself is too small, to give less memory. */
    static ToolstackException refusal(long ramBytes, long heap, long physical) {
        // the JVM reports less than -Xmx as usable (a survivor space is not counted): ask for a quarter more
        long neededGiB = ((ramBytes + RESERVE) / 4 * 5 + (1L << 30) - 1) >> 30;
        String what = "a machine with " + Sizes.human(ramBytes) + " of RAM does not fit in this JVM's heap ("
                + Sizes.human(heap) + ", of which vmtree keeps " + Sizes.human(RESERVE) + " for itself)";
        String fix = physical > 0 && physical < ramBytes + RESERVE
                ? "this host has only " + Sizes.human(physical) + " of memory: give the machine less (--memory)"
                : "run vmtree with VMTREE_JAVA_OPTS=-Xmx" + neededGiB + "g, or give the machine less memory (--memory)";
        return new ToolstackException(ToolstackException.Kind.CANNOT_RUN, what + "; " + fix);
    }

    /** Physical memory of the host in bytes, or -1 when the JVM cannot tell (read only when refusing). */
    static long physicalMemory() {
        try {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
