package dev.vmtree.core.devices;

import java.util.Arrays;

/**
 * Everything an {@link Uart16550} remembers: registers, the divisor latch, whether a THR-empty
 * interrupt is waiting, the overrun flag and the bytes waiting in the receive FIFO (oldest first).
 * Immutable: the array is copied in and out.
 */
public record UartState(int ier, int lcr, int mcr, int scr, int fcr, int divisor, boolean threPending,
        boolean overrun, byte[] rx) {

    public UartState {
        rx = rx.clone();
    }

    @Override
    public byte[] rx() {
        return rx.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UartState s && ier == s.ier && lcr == s.lcr && mcr == s.mcr && scr == s.scr
                && fcr == s.fcr && divisor == s.divisor && threPending == s.threPending
                && overrun == s.overrun && Arrays.equals(rx, s.rx);
    }

    @Override
    public int hashCode() {
        return 31 * (ier + 31 * (lcr + 31 * (mcr + 31 * (fcr + 31 * divisor)))) + Arrays.hashCode(rx);
    }

    @Override
    public String toString() {
        return "UartState[ier=" + ier + ", lcr=" + lcr + ", mcr=" + mcr + ", scr=" + scr + ", fcr=" + fcr
                + ", divisor=" + divisor + ", threPending=" + threPending + ", overrun=" + overrun
                + ", rx=" + rx.length + " bytes]";
    }
}
