package dev.vmtree.core.loader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a flattened device tree blob (DTB, version 17) without dtc: nodes and properties in
 * order, strings deduplicated. Big-endian cells as the format requires. Not thread-safe.
 */
public final class DeviceTree {
    private static final int MAGIC = 0xD00DFEED;
    private static final int BEGIN_NODE = 1, END_NODE = 2, PROP = 3, END = 9;

    private final ByteArrayOutputStream struct = new ByteArrayOutputStream();
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new LinkedHashMap<>();
    private final Deque<String> open = new ArrayDeque<>();

    public DeviceTree begin(String name) {
        word(struct, BEGIN_NODE);
        bytesPadded(struct, (name + "\0").getBytes(StandardCharsets.US_ASCII));
        open.push(name);
        return this;
    }

    public DeviceTree end() {
        if (open.isEmpty()) {
            throw new IllegalStateException("no open node");
        }
        open.pop();
        word(struct, END_NODE);
        return this;
    }

    public DeviceTree prop(String name, byte[] value) {
        word(struct, PROP);
        word(struct, value.length);
        word(struct, nameOffset(name));
        bytesPadded(struct, value);
        return this;
    }

    public DeviceTree empty(String name) {
        return prop(name, new byte[0]);
    }

    public DeviceTree string(String name, String... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (String v : values) {
            b.writeBytes((v + "\0").getBytes(StandardCharsets.UTF_8));
        }
        return prop(name, b.toByteArray());
    }

    public DeviceTree cells(String name, int... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int v : values) {
            word(b, v);
        }
        return prop(name, b.toByteArray());
    }

    /** 64-bit values as two cells each (for #address-cells = #size-cells = 2). */
    public DeviceTree longs(String name, long... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (long v : values) {
            word(b, (int) (v >>> 32));
            word(b, (int) v);
        }
        return prop(name, b.toByteArray());
    }

    /** The finished blob; every node must be closed. */
    public byte[] toBlob(int bootCpu) {
        if (!open.isEmpty()) {
            throw new IllegalStateException("unclosed node " + open.peek());
        }
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(struct.toByteArray());
        word(s, END);
        byte[] structBytes = s.toByteArray();
        byte[] stringBytes = strings.toByteArray();
        int rsvOff = 40;
        int rsvSize = 16; // one terminating empty entry
        int structOff = rsvOff + rsvSize;
        int stringsOff = structOff + structBytes.length;
        int total = stringsOff + stringBytes.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream(total);
        word(out, MAGIC);
        word(out, total);
        word(out, structOff);
        word(out, stringsOff);
        word(out, rsvOff);
        word(out, 17);
        word(out, 16);
        word(out, bootCpu);
        word(out, stringBytes.length);
        word(out, structBytes.length);
        out.writeBytes(new byte[rsvSize]);
        out.writeBytes(structBytes);
        out.writeBytes(stringBytes);
        return out.toByteArray();
    }

    private int nameOffset(String name) {
        return stringOffsets.computeIfAbsent(name, n -> {
            int off = strings.size();
            strings.writeBytes((n + "\0").getBytes(StandardCharsets.US_ASCII));
            return off;
        });
    }

    private static void word(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void bytesPadded(ByteArrayOutputStream out, byte[] b) {
        out.writeBytes(b);
        for (int i = b.length; i % 4 != 0; i++) {
            out.write(0);
        }
    }
}
