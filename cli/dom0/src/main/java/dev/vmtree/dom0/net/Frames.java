package dev.vmtree.dom0.net;

import java.util.HexFormat;

/**
 * What vmtree takes as an Ethernet frame anywhere it moves one (a switch, a host link, a capture):
 * the frame without preamble and frame check sequence, 14 bytes of header at least and at most 1518
 * (1500 bytes of payload, the header and one VLAN tag), the sizes virtio-net's card accepts.
 */
public final class Frames {
    private Frames() {}

    public static final int MIN = 14, MAX = 1518;

    /** Whether {@code length} bytes can be a frame. */
    public static boolean plausible(int length) {
        return length >= MIN && length <= MAX;
    }

    /** The source address of a frame (bytes 6..11) as {@code 02:00:5e:...}. */
    public static String source(byte[] frame, int offset) {
        return HexFormat.ofDelimiter(":").formatHex(frame, offset + 6, offset + 12);
    }

    /** The destination address of a frame (bytes 0..5) as {@code ff:ff:ff:...}. */
    public static String destination(byte[] frame, int offset) {
        return HexFormat.ofDelimiter(":").formatHex(frame, offset, offset + 6);
    }
}
