package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UartTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private boolean irq;
    private final Uart16550 uart = new Uart16550(out::write, high -> irq = high);

    private int r(int reg) {
        return (int) uart.read(reg, 1);
    }

    private void w(int reg, int v) {
        uart.write(reg, 1, v);
    }

    @Test
    void transmitsWhatTheDriverWritesAndIsAlwaysReady() {
        for (byte b : "hi\n".getBytes(StandardCharsets.US_ASCII)) {
            assertThat(r(5) & 0x60).isEqualTo(0x60); // THRE and TEMT
            w(0, b);
        }
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hi\n");
        assertThat(irq).isFalse(); // IER is 0
    }

    @Test
    void divisorLatchHidesRbrAndIerWhileDlabIsSet() {
        w(1, 0x05);
        w(3, 0x83);
        w(0, 0x01);
        w(1, 0x02);
        assertThat(r(0)).isEqualTo(1);
        assertThat(r(1)).isEqualTo(2);
        w(3, 0x03);
        assertThat(r(1)).isEqualTo(5);
        assertThat(r(3)).isEqualTo(3);
        assertThat(out.size()).isZero();
        assertThat(uart.save().divisor()).isEqualTo(0x0201);
    }

    @Test
    void receiveFifoIsBoundedAndReadInOrderWithInterrupts() {
        w(2, 0x07); // FIFO on, both cleared
        w(1, 0x01); // RX data interrupt
        assertThat(r(2)).isEqualTo(0xC1);
        byte[] input = new byte[20];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) ('a' + i);
        }
        assertThat(uart.deliverInput(input)).isEqualTo(16);
        assertThat(uart.inputRoom()).isZero();
        assertThat(irq).isTrue();
        assertThat(r(2)).isEqualTo(0xC4); // trigger level 1 reached
        assertThat(r(5) & 1).isEqualTo(1);
        StringBuilder got = new StringBuilder();
        while ((r(5) & 1) != 0) {
            got.append((char) r(0));
        }
        assertThat(got.toString()).isEqualTo("abcdefghijklmnop");
        assertThat(irq).isFalse();
        assertThat(r(2)).isEqualTo(0xC1);
        assertThat(r(0)).isZero(); // empty FIFO reads 0, no exception
    }

    @Test
    void belowTheTriggerLevelDataReportsAsTimeout() {
        w(2, 0xC1); // trigger 14
        w(1, 0x01);
        uart.deliverInput(new byte[] {1, 2});
        assertThat(irq).isTrue();
        assertThat(r(2)).isEqualTo(0xCC);
    }

    @Test
    void withoutFifoTheUartHoldsOneByte() {
        assertThat(uart.deliverInput(new byte[] {7, 8})).isEqualTo(1);
        assertThat(r(0)).isEqualTo(7);
        assertThat(uart.deliverInput(new byte[] {8})).isEqualTo(1);
    }

    @Test
    void thrEmptyInterruptRisesOnEnableAndClearsOnIirRead() {
        w(1, 0x02);
        assertThat(irq).isTrue();
        assertThat(r(2) & 0x0F).isEqualTo(0x02);
        assertThat(irq).isFalse();
        assertThat(r(2) & 0x0F).isEqualTo(0x01);
        w(0, 'x');
        assertThat(irq).isTrue();
        w(1, 0x00);
        assertThat(irq).isFalse();
    }

    @Test
    void receiveDataOutranksThrEmpty() {
        w(1, 0x03);
        uart.deliverInput(new byte[] {42});
        assertThat(r(2) & 0x0F).isEqualTo(0x04);
        r(0);
        assertThat(r(2) & 0x0F).isEqualTo(0x02);
    }

    @Test
    void loopbackFeedsTransmitToReceiveAndReflectsModemLines() {
        assertThat(r(6)).isEqualTo(0xB0);
        w(4, 0x10 | 0x03);
        w(0, 'z');
        assertThat(out.size()).isZero();
        assertThat(r(0)).isEqualTo('z');
        assertThat(r(6)).isEqualTo(0x30); // CTS and DSR from RTS and DTR
        w(0, 1);
        w(0, 2); // one-byte holding register: overrun
        assertThat(r(5) & 2).isEqualTo(2);
        assertThat(r(5) & 2).isZero();
    }

    @Test
    void scratchRegisterAndOddAccessesNeverThrow() {
        w(7, 0x5A);
        assertThat(r(7)).isEqualTo(0x5A);
        for (long off : new long[] {8, 0xFF, -1, Long.MAX_VALUE}) {
            uart.write(off, 8, -1);
            assertThat(uart.read(off, 4)).isZero();
        }
        w(5, 0); // LSR is read-only
        assertThat(r(5)).isEqualTo(0x60);
    }

    @Test
    void saveRestoreContinuesExactlyLikeAnUninterruptedUart() {
        w(2, 0x01);
        w(1, 0x03);
        uart.deliverInput("hello".getBytes(StandardCharsets.US_ASCII));
        r(0);
        UartState saved = uart.save();
        ByteArrayOutputStream out2 = new ByteArrayOutputStream();
        boolean[] irq2 = {false};
        Uart16550 copy = new Uart16550(out2::write, high -> irq2[0] = high);
        copy.restore(saved);
        assertThat(copy.save()).isEqualTo(saved);
        assertThat(irq2[0]).isEqualTo(irq);
        for (Uart16550 u : new Uart16550[] {uart, copy}) {
            u.write(0, 1, 'k');
            u.deliverInput(new byte[] {'!'});
        }
        for (int i = 0; i < 6; i++) {
            assertThat(copy.read(0, 1)).isEqualTo(uart.read(0, 1));
            assertThat(copy.read(2, 1)).isEqualTo(uart.read(2, 1));
        }
        assertThat(copy.save()).isEqualTo(uart.save());
        assertThat(out2.toByteArray()).containsExactly('k');
    }

    @Test
    void aRestoredFifoFullerThanTheCurrentModeAcceptsNothingMore() {
        uart.restore(new UartState(0, 0, 0, 0, 0, 0, false, false, new byte[] {1, 2, 3}));
        assertThat(uart.inputRoom()).isZero();
        assertThat(uart.deliverInput(new byte[] {4})).isZero();
        assertThat(r(0)).isEqualTo(1);
    }

    @Test
    void restoreRejectsMoreBytesThanTheFifoHolds() {
        UartState big = new UartState(0, 0, 0, 0, 1, 0, false, false, new byte[17]);
        assertThatThrownBy(() -> uart.restore(big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("17 bytes");
    }
}
