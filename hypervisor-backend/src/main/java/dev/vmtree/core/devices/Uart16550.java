package dev.vmtree.core.devices;

import dev.vmtree.core.mem.MmioDevice;
import java.util.Objects;

/**
 * An ns16550a UART as Linux's 8250 driver and OpenSBI's uart8250 use it: eight byte registers
 * (reg-shift 0; wider accesses act on the byte at the offset), the divisor latch behind LCR.DLAB,
 * a receive FIFO of bounded size and an instantaneous transmitter (THR is always empty).
 *
 * <p>Determinism: input enters only through {@link #deliverInput}, which takes no more than the FIFO
 * has room for and returns how much it took, so the caller keeps the rest and no byte is ever lost
 * or dropped by timing. The receive interrupt is raised whenever data waits (reported as a character
 * timeout below the FIFO trigger level), since a real timeout would depend on time. Loopback (MCR
 * bit 4) sends transmitted bytes to the receive FIFO and reflects MCR in MSR.
 *
 * <p>Called only from the thread that runs the machine; never throws for guest values.
 */
public final class Uart16550 implements MmioDevice {
    public static final long SIZE = 0x100;
    /** A 16550A's FIFO depth. */
    public static final int DEFAULT_FIFO = 16;

    private static final int RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
    private static final int IER_RDA = 1, IER_THRE = 2, IER_RLS = 4;
    private static final int LCR_DLAB = 0x80, MCR_LOOP = 0x10;
    private static final int LSR_DR = 1, LSR_OE = 2, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    private static final int[] TRIGGER = {1, 4, 8, 14};

    private final ByteSink tx;
    private final IrqLine irq;
    private final byte[] fifo;
    private int head, count;
    private int ier, lcr, mcr, scr, fcr, divisor;
    private boolean threPending, overrun;

    /** {@code fifoSize} bytes of receive FIFO (at least 1; 16 on real hardware). */
    public Uart16550(ByteSink tx, IrqLine irq, int fifoSize) {
        if (fifoSize < 1 || fifoSize > 1 << 20) {
            throw new IllegalArgumentException("UART FIFO size must be 1..1048576, got " + fifoSize);
        }
        this.tx = Objects.requireNonNull(tx, "tx");
        this.irq = Objects.requireNonNull(irq, "irq");
        this.fifo = new byte[fifoSize];
    }

    public Uart16550(ByteSink tx, IrqLine irq) {
        this(tx, irq, DEFAULT_FIFO);
    }

    /** Queues guest input; returns how many leading bytes of {@code data} fitted (the rest is the caller's). */
    public int deliverInput(byte[] data) {
        int n = Math.min(inputRoom(), data.length);
        for (int i = 0; i < n; i++) {
            push(data[i]);
        }
        update();
        return n;
    }

    /** Whether the guest enabled the received-data interrupt (IER bit 0), i.e. a driver is reading. */
    public boolean receiveInterruptEnabled() {
        return (ier & 1) != 0;
    }

    /** Bytes the receive FIFO can still take. */
    public int inputRoom() {
        return Math.max(0, capacity() - count); // a restored state may hold more than a disabled FIFO takes
    }

    // With the FIFOs disabled (FCR bit 0 clear) the UART holds a single byte, as a 16450 does.
    private int capacity() {
        return (fcr & 1) != 0 ? fifo.length : 1;
    }

    private void push(byte b) {
        fifo[(head + count) % fifo.length] = b;
        count++;
    }

    @Override
    public long read(long offset, int size) {
        switch ((int) Math.min(offset, 8)) {
            case RBR_THR -> {
                if ((lcr & LCR_DLAB) != 0) {
                    return divisor & 0xFF;
                }
                if (count == 0) {
                    return 0;
                }
                int b = fifo[head] & 0xFF;
                head = (head + 1) % fifo.length;
                count--;
                update();
                return b;
            }
            case IER -> {
                return (lcr & LCR_DLAB) != 0 ? divisor >>> 8 : ier;
            }
            case IIR_FCR -> {
                int id = interruptId();
                if (id == 0x02) {
                    threPending = false; // reading IIR while it reports THRE clears that source
                    update();
                }
                return id | ((fcr & 1) != 0 ? 0xC0 : 0);
            }
            case LCR -> {
                return lcr;
            }
            case MCR -> {
                return mcr;
            }
            case LSR -> {
                int v = LSR_THRE | LSR_TEMT | (count > 0 ? LSR_DR : 0) | (overrun ? LSR_OE : 0);
                if (overrun) {
                    overrun = false;
                    update();
                }
                return v;
            }
            case MSR -> {
                if ((mcr & MCR_LOOP) != 0) {
                    // CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2
                    return ((mcr & 2) << 3) | ((mcr & 1) << 5) | ((mcr & 4) << 4) | ((mcr & 8) << 4);
                }
                return 0xB0; // DCD, DSR and CTS asserted: a cable is always there
            }
            case SCR -> {
                return scr;
            }
            default -> {
                return 0;
            }
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        int v = (int) value & 0xFF;
        switch ((int) Math.min(offset, 8)) {
            case RBR_THR -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xFF00) | v;
                    return;
                }
                if ((mcr & MCR_LOOP) != 0) {
                    if (count < capacity()) {
                        push((byte) v);
                    } else {
                        overrun = true;
                    }
                } else {
                    tx.put((byte) v);
                }
                threPending = true; // sent at once, so the holding register is empty again
            }
            case IER -> {
                if ((lcr & LCR_DLAB) != 0) {
                    divisor = (divisor & 0xFF) | (v << 8);
                    return;
                }
                if ((v & IER_THRE) != 0 && (ier & IER_THRE) == 0) {
                    threPending = true; // enabling ETBEI with THR empty interrupts at once
                }
                ier = v & 0x0F;
            }
            case IIR_FCR -> {
                if ((v & 1) != (fcr & 1) || (v & 2) != 0) {
                    head = 0; // changing the FIFO mode or bit 1 clears the receive FIFO
                    count = 0;
                }
                fcr = v & 0xC9; // enable, DMA mode, trigger level; the reset bits self-clear
            }
            case LCR -> lcr = v;
            case MCR -> mcr = v & 0x1F;
            case SCR -> scr = v;
            default -> {
                return; // LSR and MSR are read-only
            }
        }
        update();
    }

    /** IIR bits 3:0 for the highest-priority pending source; 1 = nothing pending. */
    private int interruptId() {
        if ((ier & IER_RLS) != 0 && overrun) {
            return 0x06;
        }
        if ((ier & IER_RDA) != 0 && count > 0) {
            boolean trigger = (fcr & 1) == 0 || count >= Math.min(TRIGGER[fcr >>> 6], capacity());
            return trigger ? 0x04 : 0x0C;
        }
        if ((ier & IER_THRE) != 0 && threPending) {
            return 0x02;
        }
        return 0x01; // IER_MS: modem lines never change, so no modem status interrupt
    }

    private void update() {
        irq.set(interruptId() != 0x01);
    }

    public UartState save() {
        byte[] rx = new byte[count];
        for (int i = 0; i < count; i++) {
            rx[i] = fifo[(head + i) % fifo.length];
        }
        return new UartState(ier, lcr, mcr, scr, fcr, divisor, threPending, overrun, rx);
    }

    /** Replaces all state and drives the interrupt line to match; a state with more bytes than the FIFO holds is rejected. */
    public void restore(UartState s) {
        byte[] rx = s.rx();
        if (rx.length > fifo.length) {
            throw new IllegalArgumentException("UART state has " + rx.length + " bytes for a FIFO of " + fifo.length);
        }
        ier = s.ier() & 0x0F;
        lcr = s.lcr() & 0xFF;
        mcr = s.mcr() & 0x1F;
        scr = s.scr() & 0xFF;
        fcr = s.fcr() & 0xC9;
        divisor = s.divisor() & 0xFFFF;
        threPending = s.threPending();
        overrun = s.overrun();
        head = 0;
        count = 0;
        for (byte b : rx) {
            push(b);
        }
        update();
    }

    /** The node for the device tree: {@code serial@base}, ns16550a, one interrupt, 3.6864 MHz clock. */
    public static DtNode deviceTreeNode(long base, int plicPhandle, int irq) {
        return DtNode.at("serial", base).strings("compatible", "ns16550a").longs("reg", base, SIZE)
                .cells("clock-frequency", 3_686_400).cells("interrupt-parent", plicPhandle)
                .cells("interrupts", irq);
    }
}
