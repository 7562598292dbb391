package dev.vmtree.core.devices;

import dev.vmtree.core.cpu.Timebase;
import dev.vmtree.core.mem.MmioDevice;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The Goldfish real-time clock ({@code google,goldfish-rtc}, as on QEMU's virt machine): a 64-bit
 * nanosecond count since the Unix epoch and one alarm. The count is the machine's clock base (chosen
 * when it was created) plus its virtual time, derived from retired instructions like every other
 * clock here, plus whatever the guest set it forward or back by — never the host's clock, so a replay
 * reads exactly the times the original run read.
 *
 * <pre>
 * 0x00 TIME_LOW   read: low half, latches the high half; write: sets the low half
 * 0x04 TIME_HIGH  read: the latched high half; write: sets the high half
 * 0x08 ALARM_LOW  write: arms the alarm at (ALARM_HIGH, value)
 * 0x0c ALARM_HIGH write: high half of the next alarm
 * 0x10 IRQ_ENABLED, 0x14 CLEAR_ALARM, 0x18 ALARM_STATUS, 0x1c CLEAR_INTERRUPT
 * </pre>
 *
 * The alarm is checked at the machine's check points ({@link #tick}), at global instruction counts.
 * Called only from the machine thread; never throws for guest values.
 */
public final class GoldfishRtc implements MmioDevice {
    public static final long SIZE = 0x1000;
    static final int TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c, IRQ_ENABLED = 0x10,
            CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c;
    static final long NANOS_PER_TICK = 1_000_000_000L / Timebase.FREQUENCY_HZ;

    private final long base;
    private final LongSupplier instructions;
    private final IrqLine irq;
    private long offset;
    private int timeHigh;
    private long alarm;
    private boolean alarmRunning, irqEnabled, irqPending;

    /** {@code base}: the clock's reading at instruction 0, in nanoseconds since the epoch. */
    public GoldfishRtc(long base, LongSupplier instructions, IrqLine irq) {
        this.base = base;
        this.instructions = Objects.requireNonNull(instructions, "instructions");
        this.irq = Objects.requireNonNull(irq, "irq");
    }

    /** Nanoseconds since the epoch at the current instruction, as the guest reads them. */
    public long now() {
        return base + offset + Timebase.ticks(instructions.getAsLong()) * NANOS_PER_TICK;
    }

    @Override
    public long read(long off, int size) {
        return switch ((int) off) {
            case TIME_LOW -> {
                long t = now();
                timeHigh = (int) (t >>> 32);
                yield t & 0xFFFF_FFFFL;
            }
            case TIME_HIGH -> timeHigh & 0xFFFF_FFFFL;
            case ALARM_LOW -> alarm & 0xFFFF_FFFFL;
            case ALARM_HIGH -> alarm >>> 32;
            case IRQ_ENABLED -> irqEnabled ? 1 : 0;
            case ALARM_STATUS -> alarmRunning ? 1 : 0;
            default -> 0;
        };
    }

    @Override
    public void write(long off, int size, long value) {
        long v = value & 0xFFFF_FFFFL;
        switch ((int) off) {
            case TIME_LOW -> {
                long t = now();
                offset += ((t & 0xFFFF_FFFF_0000_0000L) | v) - t;
            }
            case TIME_HIGH -> {
                long t = now();
                offset += ((t & 0xFFFF_FFFFL) | v << 32) - t;
            }
            case ALARM_LOW -> {
                alarm = (alarm & 0xFFFF_FFFF_0000_0000L) | v;
                alarmRunning = true;
                tick();
            }
            case ALARM_HIGH -> alarm = (alarm & 0xFFFF_FFFFL) | v << 32;
            case IRQ_ENABLED -> {
                irqEnabled = (v & 1) != 0;
                update();
            }
            case CLEAR_ALARM -> alarmRunning = false;
            case CLEAR_INTERRUPT -> {
                irqPending = false;
                update();
            }
            default -> {
                // read-only or unknown: ignored
            }
        }
    }

    /** Fires an armed alarm whose time has come (called at check points and when armed). */
    public void tick() {
        if (alarmRunning && Long.compareUnsigned(now(), alarm) >= 0) {
            alarmRunning = false;
            irqPending = true;
            update();
        }
    }

    /** The first instruction count at which the armed alarm fires, or -1 when none is armed. */
    public long alarmInstruction() {
        if (!alarmRunning) {
            return -1;
        }
        long dueNs = alarm - base - offset;
        if (dueNs <= 0) {
            return 0;
        }
        long ticks = (dueNs + NANOS_PER_TICK - 1) / NANOS_PER_TICK;
        return Timebase.instructionsFor(ticks);
    }

    private void update() {
        irq.set(irqEnabled && irqPending);
    }

    public RtcState save() {
        return new RtcState(offset, timeHigh, alarm, alarmRunning, irqEnabled, irqPending);
    }

    public void restore(RtcState s) {
        offset = s.offset();
        timeHigh = s.timeHigh();
        alarm = s.alarm();
        alarmRunning = s.alarmRunning();
        irqEnabled = s.irqEnabled();
        irqPending = s.irqPending();
        update();
    }

    public static DtNode deviceTreeNode(long base, int plicPhandle, int irq) {
        return DtNode.at("rtc", base).strings("compatible", "google,goldfish-rtc").longs("reg", base, SIZE)
                .cells("interrupt-parent", plicPhandle).cells("interrupts", irq);
    }
}
