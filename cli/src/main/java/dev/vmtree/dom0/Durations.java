package dev.vmtree.dom0;

import java.time.Duration;

/** Durations as users type them: {@code 90d}, {@code 12h}, {@code 30m}, {@code 45s}, {@code 0}, or ISO-8601 ({@code PT1H}). */
public final class Durations {
    private Durations() {}

    public static Duration parse(String text) {
        String t = text.trim();
        try {
            if (t.equals("0")) {
                return Duration.ZERO;
            }
            if (t.startsWith("P") || t.startsWith("p")) {
                return Duration.parse(t);
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
}
