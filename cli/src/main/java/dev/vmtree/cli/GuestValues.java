package dev.vmtree.cli;

import java.util.HexFormat;

/**
 * How the machine-inspection commands (mem, reg, show, diff) read and print guest values:
 * addresses and register values in {@code 0x} hex or decimal, byte strings as hex digits, and
 * 64-bit values printed as {@code 0x} plus 16 hex digits. Malformed input is a usage error.
 */
final class GuestValues {
    private GuestValues() {}

    /** A non-negative address or length: {@code 0x} hex or decimal. */
    static long address(String what, String s) {
        long v = number(what, s);
        if (v < 0 && !s.regionMatches(true, 0, "0x", 0, 2)) {
            throw new CliException(ExitCodes.USAGE, what + " must not be negative: " + s);
        }
        return v;
    }

    /** A 64-bit value: {@code 0x} hex (up to 16 digits), unsigned or negative decimal. */
    static long number(String what, String s) {
        try {
            if (s.regionMatches(true, 0, "0x", 0, 2)) {
                String hex = s.substring(2).replace("_", "");
                if (hex.isEmpty() || hex.length() > 16) {
                    throw new NumberFormatException();
                }
                return Long.parseUnsignedLong(hex, 16);
            }
            return s.startsWith("-") ? Long.parseLong(s) : Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new CliException(ExitCodes.USAGE, "bad " + what + " '" + s + "' (0x hex or decimal, 64 bits)");
        }
    }

    /** Bytes from hex digits ("deadbeef"); odd length, other characters or nothing at all are usage errors. */
    static byte[] bytes(String hex) {
        if (hex.isEmpty() || hex.length() % 2 != 0) {
            throw new CliException(ExitCodes.USAGE, "HEX must be a non-empty, even number of hex digits: '" + hex + "'");
        }
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "HEX must be hex digits only: '" + hex + "'");
        }
    }

    static String hex64(long v) {
        return String.format("0x%016x", v);
    }

    /** The privilege level's letter (0 U, 1 S, 3 M). */
    static String privilege(long priv) {
        return switch ((int) priv) {
            case 0 -> "U";
            case 1 -> "S";
            case 3 -> "M";
            default -> Long.toString(priv);
        };
    }

    /** Lines like {@code xxd}: address, 16 bytes in groups of two, their printable characters. */
    static String hexdump(long address, byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int off = 0; off < b.length; off += 16) {
            sb.append(String.format("%08x: ", address + off));
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                if (off + i < b.length) {
                    int v = b[off + i] & 0xff;
                    sb.append(String.format("%02x", v));
                    text.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
                } else {
                    sb.append("  ");
                }
                if (i % 2 == 1 && i < 15) {
                    sb.append(' ');
                }
            }
            sb.append("  ").append(text).append('\n');
        }
        return sb.toString();
    }
}
