package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The devices wired as the Machine will wire them: UART → PLIC source 10 → hart 0's S-mode SEIP. */
class WiringTest {
    private final long[] mip = new long[2];
    private final Plic plic = new Plic(32, 2, (hart, s, level) -> {
        long bit = s ? 1L << 9 : 1L << 11;
        mip[hart] = level ? mip[hart] | bit : mip[hart] & ~bit;
    });
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Uart16550 uart = new Uart16550(out::write, plic.line(10));

    @Test
    void inputReachesTheSupervisorThroughClaimAndComplete() {
        long sContext = 0x200000 + 0x1000;
        plic.write(4 * 10, 4, 1);
        plic.write(0x2000 + 0x80, 4, 1 << 10);
        uart.write(1, 1, 1); // receive interrupt on
        assertThat(mip[0]).isZero();
        assertThat(uart.deliverInput(new byte[] {'x'})).isEqualTo(1);
        assertThat(mip[0]).isEqualTo(1L << 9);
        // the handler: claim, drain the UART, complete
        assertThat(plic.read(sContext + 4, 4)).isEqualTo(10);
        assertThat(mip[0]).isZero();
        assertThat(uart.read(0, 1)).isEqualTo('x');
        plic.write(sContext + 4, 4, 10);
        assertThat(mip[0]).isZero(); // the line went low while claimed
        assertThat(uart.deliverInput(new byte[] {'y'})).isEqualTo(1);
        assertThat(mip[0]).isEqualTo(1L << 9);
        assertThat(mip[1]).isZero();
    }
}
