package dev.vmtree.core.debug;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The framing of the GDB remote serial protocol: {@code $payload#cs} packets with a two-digit
 * modulo-256 checksum, {@code }} escapes ({@code 0x7d}, next byte XOR 0x20), {@code +}/{@code -}
 * acknowledgements and the lone {@code 0x03} interrupt byte. Packets longer than
 * {@link #MAX_PACKET} are refused rather than buffered. Stateless helpers plus one reader.
 */
final class Rsp {
    /** The largest payload accepted (also announced as PacketSize). */
    static final int MAX_PACKET = 1 << 16;

    private Rsp() {}

    /** What the client sent: a packet, an interrupt, or a framing problem to answer with a NAK. */
    sealed interface Incoming {
        record Packet(byte[] payload) implements Incoming {
            String text() {
                return new String(payload, StandardCharsets.ISO_8859_1);
            }
        }

        record Interrupt() implements Incoming {}

        /** A NAK from the client: send the last reply again. */
        record Resend() implements Incoming {}

        /** A packet whose checksum did not match or that was too long: answer {@code -}. */
        record Bad(String why) implements Incoming {}
    }

    /** Reads the next unit from {@code in}; null at end of stream. */
    static Incoming read(InputStream in) throws IOException {
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            switch (c) {
                case 0x03 -> {
                    return new Incoming.Interrupt();
                }
                case '-' -> {
                    return new Incoming.Resend();
                }
                case '$' -> {
                    return packet(in);
                }
                default -> { }      // '+' acks and noise between packets
            }
        }
    }

    private static Incoming packet(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        int sum = 0;
        boolean tooLong = false;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            if (c == '#') {
                break;
            }
            if (c == '$') {                     // a new packet started: drop the broken one
                raw.reset();
                sum = 0;
                tooLong = false;
                continue;
            }
            sum += c;
            if (raw.size() < MAX_PACKET * 2) {
                raw.write(c);
            } else {
                tooLong = true;
            }
        }
        int hi = in.read(), lo = in.read();
        if (hi < 0 || lo < 0) {
            return null;
        }
        int given = hexDigit(hi) << 4 | hexDigit(lo);
        if (tooLong) {
            return new Incoming.Bad("packet longer than " + MAX_PACKET + " bytes");
        }
        if (hexDigit(hi) < 0 || hexDigit(lo) < 0 || given != (sum & 0xFF)) {
            return new Incoming.Bad("bad checksum");
        }
        byte[] escaped = raw.toByteArray();
        ByteArrayOutputStream payload = new ByteArrayOutputStream(escaped.length);
        for (int i = 0; i < escaped.length; i++) {
            if (escaped[i] == '}' && i + 1 < escaped.length) {
                payload.write(escaped[++i] ^ 0x20);
            } else {
                payload.write(escaped[i]);
            }
        }
        if (payload.size() > MAX_PACKET) {
            return new Incoming.Bad("packet longer than " + MAX_PACKET + " bytes");
        }
        return new Incoming.Packet(payload.toByteArray());
    }

    /** {@code $payload#cs} with {@code $ # } *} escaped. */
    static byte[] frame(String payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length() + 4);
        out.write('$');
        int sum = 0;
        for (int i = 0; i < payload.length(); i++) {
            int c = payload.charAt(i) & 0xFF;
            if (c == '$' || c == '#' || c == '}' || c == '*') {
                out.write('}');
                sum += '}';
                c ^= 0x20;
            }
            out.write(c);
            sum += c;
        }
        out.write('#');
        String cs = String.format("%02x", sum & 0xFF);
        out.writeBytes(cs.getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    static int hexDigit(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** Lower-case hex of {@code b}. */
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) {
            s.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return s.toString();
    }

    /** A 64-bit register value as 16 hex digits in target (little-endian) byte order. */
    static String hex64le(long v) {
        StringBuilder s = new StringBuilder(16);
        for (int i = 0; i < 8; i++) {
            int b = (int) (v >>> (8 * i)) & 0xFF;
            s.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return s.toString();
    }

    /** Parses 16 hex digits in little-endian byte order at {@code from}; NumberFormatException when malformed. */
    static long parse64le(String s, int from) {
        if (from < 0 || from + 16 > s.length()) {
            throw new NumberFormatException("short register value");
        }
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            int hi = hexDigit(s.charAt(from + 2 * i)), lo = hexDigit(s.charAt(from + 2 * i + 1));
            if (hi < 0 || lo < 0) {
                throw new NumberFormatException("bad hex digit");
            }
            v = v << 8 | (hi << 4 | lo);
        }
        return v;
    }

    /** Bytes from hex digits; NumberFormatException when malformed. */
    static byte[] unhex(String s) {
        if (s.length() % 2 != 0) {
            throw new NumberFormatException("odd number of hex digits");
        }
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = hexDigit(s.charAt(2 * i)), lo = hexDigit(s.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) {
                throw new NumberFormatException("bad hex digit");
            }
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }

    /** An unsigned hex number (addresses, lengths); NumberFormatException when malformed or over 64 bits. */
    static long number(String s) {
        if (s.isEmpty() || s.length() > 16) {
            throw new NumberFormatException("bad number '" + s + "'");
        }
        return Long.parseUnsignedLong(s, 16);
    }
}
