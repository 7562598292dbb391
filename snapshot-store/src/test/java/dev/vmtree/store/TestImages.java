package dev.vmtree.store;

import java.util.Random;

/** Deterministic page contents for tests: zero, random and low-entropy pages. */
final class TestImages {
    private TestImages() {}

    static final int PAGE = 4096;

    /** An image of {@code pages} pages: every third zero, every third random, the rest low-entropy. */
    static byte[][] mixed(int pages, long seed) {
        byte[][] out = new byte[pages][];
        Random r = new Random(seed);
        for (int i = 0; i < pages; i++) {
            switch (i % 3) {
                case 0 -> out[i] = null;
                case 1 -> {
                    out[i] = new byte[PAGE];
                    r.nextBytes(out[i]);
                }
                default -> {
                    out[i] = new byte[PAGE];
                    for (int j = 0; j < PAGE; j += 64) {
                        out[i][j] = (byte) (i + j);
                    }
                }
            }
        }
        return out;
    }

    static byte[] randomPage(Random r) {
        byte[] b = new byte[PAGE];
        r.nextBytes(b);
        return b;
    }
}
