package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The goldfish RTC: base plus virtual time, the latched high half, settime, the alarm, save/restore. */
class GoldfishRtcTest {
    private long instructions;
    private boolean line;
    private final long base = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z
    private final GoldfishRtc rtc = new GoldfishRtc(base, () -> instructions, high -> line = high);

    private long read64() {
        long low = rtc.read(GoldfishRtc.TIME_LOW, 4);
        return rtc.read(GoldfishRtc.TIME_HIGH, 4) << 32 | low;
    }

    @Test
    void timeIsTheBasePlusVirtualTimeAndTheHighHalfIsLatched() {
        assertThat(read64()).isEqualTo(base);
        instructions = 10_000_000;                    // 10^7 instructions = 10^6 ticks = 0.1 s
        long low = rtc.read(GoldfishRtc.TIME_LOW, 4);
        instructions += 1L << 40;                     // the high half moves on, the latch does not
        assertThat(rtc.read(GoldfishRtc.TIME_HIGH, 4) << 32 | low).isEqualTo(base + 100_000_000L);
    }

    @Test
    void theGuestCanSetTheClockAndItKeepsTicking() {
        long target = 2_000_000_000_000_000_000L;
        rtc.write(GoldfishRtc.TIME_HIGH, 4, target >>> 32);
        rtc.write(GoldfishRtc.TIME_LOW, 4, target & 0xFFFF_FFFFL);
        assertThat(read64()).isEqualTo(target);
        instructions = 1000;
        assertThat(read64()).isEqualTo(target + 1000 * 10);
    }

    @Test
    void anAlarmFiresAtItsInstructionCountAndSurvivesSaveAndRestore() {
        rtc.write(GoldfishRtc.IRQ_ENABLED, 4, 1);
        long at = base + 5_000_000;                   // 5 ms = 500,000 instructions
        rtc.write(GoldfishRtc.ALARM_HIGH, 4, at >>> 32);
        rtc.write(GoldfishRtc.ALARM_LOW, 4, at & 0xFFFF_FFFFL);
        assertThat(rtc.read(GoldfishRtc.ALARM_STATUS, 4)).isEqualTo(1);
        assertThat(rtc.alarmInstruction()).isEqualTo(500_000);
        RtcState saved = rtc.save();
        instructions = 499_999;
        rtc.tick();
        assertThat(line).isFalse();
        instructions = 500_000;
        rtc.tick();
        assertThat(line).isTrue();
        rtc.write(GoldfishRtc.CLEAR_INTERRUPT, 4, 1);
        assertThat(line).isFalse();

        GoldfishRtc copy = new GoldfishRtc(base, () -> instructions, high -> line = high);
        copy.restore(saved);
        copy.tick();
        assertThat(line).as("the restored alarm fires at the same count").isTrue();
        assertThat(copy.save()).isEqualTo(new RtcState(0, 0, at, false, true, true));
    }

    @Test
    void anAlarmInThePastFiresAtOnce() {
        instructions = 1_000_000;
        rtc.write(GoldfishRtc.IRQ_ENABLED, 4, 1);
        rtc.write(GoldfishRtc.ALARM_HIGH, 4, base >>> 32);
        rtc.write(GoldfishRtc.ALARM_LOW, 4, base & 0xFFFF_FFFFL);
        assertThat(line).isTrue();
        assertThat(rtc.read(GoldfishRtc.ALARM_STATUS, 4)).isZero();
    }
}
