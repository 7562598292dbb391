package dev.vmtree.dom0;

import java.time.Duration;

/**
 * Durations as users type them: {@code 90d}, {@code 12h}, {@code 30m}, {@code 45s}, {@code 500ms},
 * {@code 0}, or ISO-8601 ({@code PT1H}); never negative.
 */
public final class Durations {
    private Durations() {}

    public static Duration parse(String text) {
        String t = text.trim();
        try {
            if (t.equals("0")) {
                return Duration.ZERO;
            }
            if (t.startsWith("P") || t.startsWith("p")) {
                Duration d = Duration.parse(t);
                if (d.isNegative()) {
                    throw new NumberFormatException();
                }
                return d;
            }
            if (t.endsWith("ms")) {
                long ms = Long.parseLong(t.substring(0, t.length() - 2));
                if (ms < 0) {
                    throw new NumberFormatException();
                }
                return Duration.ofMillis(ms);
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            if (n < 0) {
                throw new NumberFormatException();
            }
            return switch (t.charAt(t.length() - 1)) {
                case 'd' -> Duration.ofDays(n);
                case 'h' -> Duration.ofHours(n);
                case 'm' -> Duration.ofMinutes(n);
                case 's' -> Duration.ofSeconds(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw ToolstackException.badInput("bad duration '" + text + "' (use e.g. 90d, 12h, 30m, 45s, 0)");
        }
    }

    /** A duration the way {@link #parse} reads it back: "2s", "1500ms", "0". */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
