package dev.vmtree.dom0;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as users type them: {@code 4096}, {@code 64K}, {@code 256M}, {@code 1G}, {@code 2GiB},
 * {@code 512MB} (binary multiples throughout: K = 1024), and back to short text.
 */
public final class Sizes {
    private Sizes() {}

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})\\s*(?:([KMGT])(?:I?B)?|B)?", Pattern.CASE_INSENSITIVE);

    /** Parses a size; {@link ToolstackException.Kind#BAD_INPUT} with the accepted syntax when malformed. */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        try {
            if (!m.matches()) {
                throw new NumberFormatException();
            }
            long n = Long.parseLong(m.group(1));
            int shift = m.group(2) == null ? 0 : 10 * ("KMGT".indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1);
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw ToolstackException.badInput("bad size '" + text + "' (use a number of bytes with an optional K, M, G"
                    + " or T suffix, e.g. 256M)");
        }
    }

    /** The shortest exact form: 268435456 -> "256M", 4097 -> "4097". */
    public static String format(long bytes) {
        String[] units = {"", "K", "M", "G", "T"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }

    /** A rounded human form for reports: "1.5 MiB", "512 B". */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
