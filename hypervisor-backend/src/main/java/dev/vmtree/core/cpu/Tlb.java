package dev.vmtree.core.cpu;

import java.util.Arrays;

/**
 * A hart's software TLB as a structure of arrays: separate direct-mapped read, write and execute
 * sets, indexed by the low bits of the virtual page number. An entry caches the RAM page array (read,
 * write) or the decoded-instruction page (execute), plus the RAM page index for coherence. Only RAM
 * pages are ever cached; MMIO always takes the slow path. Never part of machine state: flushing it
 * changes nothing a guest can see.
 *
 * <p>Entries are valid for one translation context (privilege, SUM, MXR, MPRV, satp); the hart
 * flushes on any change of context, on sfence.vma and when the RAM image is frozen.
 */
final class Tlb {
    static final int SIZE = 512;
    static final int MASK = SIZE - 1;

    final long[] rTag = new long[SIZE];
    final byte[][] rPage = new byte[SIZE][];
    final int[] rPpn = new int[SIZE];
    final long[] wTag = new long[SIZE];
    final byte[][] wPage = new byte[SIZE][];
    final int[] wPpn = new int[SIZE];
    final long[] xTag = new long[SIZE];
    final long[][] xCode = new long[SIZE][];
    final int[] xPpn = new int[SIZE];

    Tlb() {
        flush();
    }

    void flush() {
        Arrays.fill(rTag, -1L);
        Arrays.fill(wTag, -1L);
        Arrays.fill(xTag, -1L);
        Arrays.fill(rPage, null);
        Arrays.fill(wPage, null);
        Arrays.fill(xCode, null);
    }

    void flushWrites() {
        Arrays.fill(wTag, -1L);
        Arrays.fill(wPage, null);
    }

    /** Drops write entries for RAM page {@code ppn} (the page now holds decoded code). */
    void dropWrite(int ppn) {
        for (int i = 0; i < SIZE; i++) {
            if (wTag[i] != -1 && wPpn[i] == ppn) {
                wTag[i] = -1;
                wPage[i] = null;
            }
        }
    }

    /** Points read entries of RAM page {@code ppn} at its new array after a copy-on-write. */
    void replaceRead(int ppn, byte[] page) {
        for (int i = 0; i < SIZE; i++) {
            if (rTag[i] != -1 && rPpn[i] == ppn) {
                rPage[i] = page;
            }
        }
    }

    /** Drops execute entries of RAM page {@code ppn} (its decoded page was discarded). */
    void dropCode(int ppn) {
        for (int i = 0; i < SIZE; i++) {
            if (xTag[i] != -1 && xPpn[i] == ppn) {
                xTag[i] = -1;
                xCode[i] = null;
            }
        }
    }
}
