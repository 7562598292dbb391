package dev.vmtree.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Codec of {@code .vmtree/roots}, format 1: the line "vmtree-roots 1", one line per pointer
 * ("NAME tree SIZE PAGESIZE ROOT", "NAME chunk ID", "NAME snapshot COMMIT"), then
 * "crc32c XXXXXXXX" over every byte before that line. Unknown kinds are kept unread-but-fatal
 * only for gc (see {@link #decode}); extra fields on a line are ignored.
 */
final class RootsFile {
    private RootsFile() {}

    static final String HEADER = "vmtree-roots 1";

    static byte[] encode(List<ExtraRoot> roots) {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (ExtraRoot r : roots) {
            for (PageTreeRoot t : r.trees()) {
                sb.append(r.name()).append(" tree ").append(t.size()).append(' ').append(t.pageSize()).append(' ')
                        .append(t.root().hex()).append('\n');
            }
            for (ChunkId c : r.chunks()) {
                sb.append(r.name()).append(" chunk ").append(c.hex()).append('\n');
            }
            for (SnapshotId s : r.snapshots()) {
                sb.append(r.name()).append(" snapshot ").append(s.hex()).append('\n');
            }
            if (r.trees().isEmpty() && r.chunks().isEmpty() && r.snapshots().isEmpty()) {
                sb.append(r.name()).append(" empty\n");
            }
        }
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        return (sb + String.format("crc32c %08x%n", crc(body, body.length))).getBytes(StandardCharsets.UTF_8);
    }

    private static int crc(byte[] b, int len) {
        CRC32C c = new CRC32C();
        c.update(b, 0, len);
        return (int) c.getValue();
    }

    /** @throws IllegalArgumentException with a short reason when the file is damaged */
    static List<ExtraRoot> decode(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int last = text.lastIndexOf("crc32c ");
        if (!text.startsWith(HEADER + "\n") || last < 0 || !text.endsWith("\n")) {
            throw new IllegalArgumentException("not a vmtree roots file, or truncated");
        }
        byte[] body = text.substring(0, last).getBytes(StandardCharsets.UTF_8);
        String crcText = text.substring(last + 7, text.length() - 1);
        if (!crcText.matches("[0-9a-f]{8}")) {
            throw new IllegalArgumentException("malformed checksum line, or text after it");
        }
        int stored = Integer.parseUnsignedInt(crcText, 16);
        if (crc(body, body.length) != stored) {
            throw new IllegalArgumentException("checksum mismatch");
        }
        Map<String, List<Object>> byName = new LinkedHashMap<>();
        String[] lines = text.substring(0, last).split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            if (f.length < 2) {
                throw new IllegalArgumentException("malformed line " + (i + 1));
            }
            List<Object> items = byName.computeIfAbsent(f[0], k -> new ArrayList<>());
            switch (f[1]) {
                case "tree" -> items.add(new PageTreeRoot(ChunkId.parse(f[4]), Long.parseLong(f[2]), Integer.parseInt(f[3])));
                case "chunk" -> items.add(ChunkId.parse(f[2]));
                case "snapshot" -> items.add(new SnapshotId(f[2]));
                case "empty" -> { }
                default -> throw new IllegalArgumentException("unknown root kind '" + f[1] + "' on line " + (i + 1)
                        + " (written by a newer vmtree?)");
            }
        }
        List<ExtraRoot> out = new ArrayList<>();
        byName.forEach((name, items) -> out.add(new ExtraRoot(name,
                items.stream().filter(PageTreeRoot.class::isInstance).map(PageTreeRoot.class::cast).toList(),
                items.stream().filter(ChunkId.class::isInstance).map(ChunkId.class::cast).toList(),
                items.stream().filter(SnapshotId.class::isInstance).map(SnapshotId.class::cast).toList())));
        return out;
    }
}
