package dev.vmtree.cli;


/** Tiny S-mode programs (raw binaries, SBI legacy calls) assembled by hand for console tests. */
final class RawPrograms {
    private RawPrograms() {}

    static final int ZERO = 0, T0 = 5, T1 = 6, A0 = 10, A7 = 17;
    private static final int ECALL = 0x73, WFI = 0x10500073;


    static int addi(int rd, int rs1, int imm) {
        return (imm & 0xFFF) << 20 | rs1 << 15 | rd << 7 | 0x13;
    }

    static int csrrs(int rd, int csr, int rs1) {
        return csr << 20 | rs1 << 15 | 2 << 12 | rd << 7 | 0x73;
    }

    static int lui(int rd, int imm20) {
        return imm20 << 12 | rd << 7 | 0x37;
    }

    static int add(int rd, int rs1, int rs2) {
        return rs2 << 20 | rs1 << 15 | rd << 7 | 0x33;
    }

    /** blt rs1, rs2 by {@code offset} bytes. */
    static int blt(int rs1, int rs2, int offset) {
        return ((offset >> 12) & 1) << 31 | ((offset >> 5) & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | 4 << 12
                | ((offset >> 1) & 0xF) << 8 | ((offset >> 11) & 1) << 7 | 0x63;
    }

    /** jal x0 by {@code offset} bytes. */
    static int j(int offset) {
        return ((offset >> 20) & 1) << 31 | ((offset >> 1) & 0x3FF) << 21 | ((offset >> 11) & 1) << 20
                | ((offset >> 12) & 0xFF) << 12 | 0x6F;
    }

    private static byte[] bytes(int... words) {
        byte[] b = new byte[words.length * 4];
        for (int i = 0; i < words.length; i++) {
            for (int k = 0; k < 4; k++) {
                b[4 * i + k] = (byte) (words[i] >>> (8 * k));
            }
        }
        return b;
    }

    /** bne rs1, rs2 by {@code offset} bytes. */
    static int bne(int rs1, int rs2, int offset) {
        return ((offset >> 12) & 1) << 31 | ((offset >> 5) & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | 1 << 12
                | ((offset >> 1) & 0xF) << 8 | ((offset >> 11) & 1) << 7 | 0x63;
    }

    static int auipc(int rd, int imm20) {
        return imm20 << 12 | rd << 7 | 0x17;
    }

    static int ld(int rd, int rs1, int imm) {
        return (imm & 0xFFF) << 20 | rs1 << 15 | 3 << 12 | rd << 7 | 0x03;
    }

    static final int T2 = 7, A1 = 11, A2 = 12, T3 = 28;

    /**
     * Reads the first doubleword of each of {@code pages} pages from 1 MiB past where it is loaded,
     * summing them into a1, with a loop of {@code delay} × 8,192 instructions after each page (so
     * its page faults spread over many slices of a run), then spins forever.
     */
    static byte[] pageWalker(int pages, int delay) {
        return bytes(
                auipc(T0, 0), lui(T1, 0x100), add(T0, T0, T1),  // t0 = load address + 1 MiB
                addi(T2, ZERO, pages), addi(A1, ZERO, 0),
                // loop:
                ld(A2, T0, 0), add(A1, A1, A2),
                lui(T1, 1), add(T0, T0, T1),                    // next page
                lui(T3, delay),
                // delay:
                addi(T3, T3, -1), bne(T3, ZERO, -4),
                addi(T2, T2, -1), bne(T2, ZERO, -32),           // loop
                j(0));
    }

    /** Prints {@code text} through SBI putchar, then spins forever (no newline needed at the end). */
    static byte[] printThenSpin(String text) {
        int[] w = new int[text.length() * 2 + 2];
        int n = 0;
        w[n++] = addi(A7, ZERO, 1);
        for (char c : text.toCharArray()) {
            w[n++] = addi(A0, ZERO, c);
            w[n++] = ECALL;
        }
        w[n++] = j(0);
        return bytes(java.util.Arrays.copyOf(w, n));
    }

    /**
     * Echoes console input (SBI getchar, putchar) and, while none is waiting, sleeps in wfi on a
     * timer armed about 10 ms of virtual time ahead: like an idle Linux, it always has a timer
     * armed, so only the idle rule ends its run once the input is over.
     */
    static byte[] echoWithTicker() {
        return bytes(
                addi(T0, ZERO, 32), csrrs(ZERO, 0x104, T0),     // sie.STIE
                // loop:
                addi(A7, ZERO, 2), ECALL,                       // a0 = getchar()
                blt(A0, ZERO, 16),                              // none: wait
                addi(A7, ZERO, 1), ECALL,                       // putchar(a0)
                j(-20),                                         // loop
                // wait:
                csrrs(A0, 0xC01, ZERO), lui(T1, 0x18), add(A0, A0, T1),
                addi(A7, ZERO, 0), ECALL,                       // set_timer(time + 98304)
                WFI,
                j(-48));                                        // loop
    }
}
