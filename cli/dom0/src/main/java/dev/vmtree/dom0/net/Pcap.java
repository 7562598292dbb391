package dev.vmtree.dom0.net;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes frames as a classic pcap capture (libpcap's format, version 2.4, microsecond timestamps,
 * link type 1 = Ethernet), which tcpdump, Wireshark and tshark read. Little-endian, as libpcap writes
 * on this host. Timestamps are whatever the caller says: host time for a live capture, the guest's
 * virtual time for a replayed run (so the capture of a replay is the same file every time).
 * Not thread-safe: the caller serialises records.
 */
public final class Pcap implements AutoCloseable {
    public static final int MAGIC = 0xa1b2c3d4, SNAPLEN = 65_535, LINKTYPE_ETHERNET = 1;

    private final OutputStream out;
    private final byte[] header = new byte[16];
    private long records;

    /** Starts a capture: writes the file header. */
    public Pcap(OutputStream out) throws IOException {
        this.out = out;
        byte[] h = new byte[24];
        le32(h, 0, MAGIC);
        le16(h, 4, 2);
        le16(h, 6, 4);
        // thiszone 0, sigfigs 0
        le32(h, 16, SNAPLEN);
        le32(h, 20, LINKTYPE_ETHERNET);
        out.write(h);
    }

    /** One frame seen at {@code nanos} since the epoch (or since the guest's time zero). */
    public void record(long nanos, byte[] frame, int offset, int length) throws IOException {
        long micros = Math.floorDiv(nanos, 1000);
        le32(header, 0, (int) Math.floorDiv(micros, 1_000_000));
        le32(header, 4, (int) Math.floorMod(micros, 1_000_000));
        int kept = Math.min(length, SNAPLEN);
        le32(header, 8, kept);
        le32(header, 12, length);
        out.write(header);
        out.write(frame, offset, kept);
        records++;
    }

    /** Frames recorded so far. */
    public long records() {
        return records;
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    private static void le16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    private static void le32(byte[] b, int at, int v) {
        le16(b, at, v);
        le16(b, at + 2, v >>> 16);
    }
}
