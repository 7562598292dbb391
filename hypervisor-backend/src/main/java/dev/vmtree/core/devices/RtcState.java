package dev.vmtree.core.devices;

/**
 * Everything a {@link GoldfishRtc} remembers. The clock base itself belongs to the machine's layout
 * (chosen at create); this is what the guest changed or is waiting for.
 *
 * @param offset nanoseconds the guest moved the clock by (settime), added to base + virtual time
 * @param timeHigh the high half latched by the last read of TIME_LOW
 * @param alarm the alarm time in the clock's nanoseconds
 * @param alarmRunning an alarm is armed and has not fired
 * @param irqEnabled the guest enabled the alarm interrupt
 * @param irqPending the alarm fired and the guest has not cleared it
 */
public record RtcState(long offset, int timeHigh, long alarm, boolean alarmRunning, boolean irqEnabled,
        boolean irqPending) {}
