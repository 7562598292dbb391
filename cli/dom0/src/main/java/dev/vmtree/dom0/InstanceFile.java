package dev.vmtree.dom0;

import dev.vmtree.store.ChunkId;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Codec of an instance record file {@code .vmtree/instances/NAME}, formats 1 and 2 (docs/format.md,
 * "Dom0 records"): UTF-8 lines "KEY VALUE...", the header "vmtree-instance VERSION" first and
 * "crc32c XXXXXXXX" (over every preceding byte) last. Readers ignore keys they do not know, so
 * later versions may add lines; a newer major version is refused. Version 2 is version 1 plus the
 * {@code migrated} line of a retired instance, written only then: a vmtree that does not know
 * retirement must refuse such a record rather than run a machine that lives elsewhere now.
 */
final class InstanceFile {
    private InstanceFile() {}

    static final int VERSION = 2;
    /** The version of a record without a {@code migrated} line, which every vmtree reads. */
    static final int PLAIN = 1;

    static byte[] encode(InstanceRecord r) {
        StringBuilder sb = new StringBuilder("vmtree-instance ").append(r.retired() ? VERSION : PLAIN).append('\n');
        sb.append("name ").append(r.name()).append('\n');
        sb.append("created ").append(r.created()).append('\n');
        sb.append("base ").append(r.base().hex()).append('\n');
        if (r.baseState() != null) {
            sb.append("base-state ").append(r.baseState().hex()).append('\n');
        }
        if (r.branch() != null) {
            sb.append("branch ").append(r.branch()).append('\n');
        }
        if (r.pendingGeneration() != null) {
            sb.append("generation ").append(r.pendingGeneration().hex()).append('\n');
        }
        InstanceRecord.Migration m = r.migratedTo();
        if (m != null) {
            // the remote last: a path may hold spaces
            sb.append("migrated ").append(m.time()).append(' ').append(m.snapshot().hex()).append(' ').append(m.ref())
                    .append(' ').append(m.remote()).append('\n');
        }
        WorkingState w = r.working();
        if (w != null) {
            sb.append("working ").append(w.stateId().hex()).append(' ').append(w.instructionsSinceBase()).append('\n');
            w.images().forEach((n, t) -> sb.append("image ").append(n).append(' ').append(t.size()).append(' ')
                    .append(t.pageSize()).append(' ').append(t.root().hex()).append('\n'));
            w.files().forEach((n, c) -> sb.append("file ").append(n).append(' ').append(c.hex()).append('\n'));
        }
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        return (sb + String.format("crc32c %08x%n", crc(body))).getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalArgumentException with a short reason when the file is damaged or too new */
    static InstanceRecord decode(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int last = text.lastIndexOf("crc32c ");
        if (!text.startsWith("vmtree-instance ") || last < 0 || !text.endsWith("\n")) {
            throw new IllegalArgumentException("not an instance record, or truncated");
        }
        String first = text.substring(0, text.indexOf('\n'));
        int version = Integer.parseInt(first.substring("vmtree-instance ".length()).trim());
        if (version > VERSION) {
            throw new IllegalArgumentException("instance format " + version + " is newer than this vmtree reads ("
                    + VERSION + ")");
        }
        byte[] body = text.substring(0, last).getBytes(StandardCharsets.UTF_8);
        if (crc(body) != Integer.parseUnsignedInt(text.substring(last + 7).trim(), 16)) {
            throw new IllegalArgumentException("checksum mismatch");
        }
        String name = null;
        String branch = null;
        Instant created = null;
        SnapshotId base = null;
        StateId baseState = null;
        StateId working = null;
        GenerationId generation = null;
        InstanceRecord.Migration migrated = null;
        long instructions = 0;
        Map<String, PageTreeRoot> images = new LinkedHashMap<>();
        Map<String, ChunkId> files = new LinkedHashMap<>();
        String[] lines = text.substring(0, last).split("\n");
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            switch (f[0]) {
                case "name" -> name = f[1];
                case "created" -> created = Instant.parse(f[1]);
                case "base" -> base = new SnapshotId(f[1]);
                case "base-state" -> baseState = new StateId(f[1]);
                case "branch" -> branch = f[1];
                case "generation" -> generation = new GenerationId(f[1]);
                case "migrated" -> {
                    String[] m = lines[i].split(" ", 5);
                    migrated = new InstanceRecord.Migration(m[4], m[3], new SnapshotId(m[2]), Instant.parse(m[1]));
                }
                case "working" -> {
                    working = new StateId(f[1]);
                    instructions = Long.parseLong(f[2]);
                }
                case "image" -> images.put(f[1], new PageTreeRoot(ChunkId.parse(f[4]), Long.parseLong(f[2]),
                        Integer.parseInt(f[3])));
                case "file" -> files.put(f[1], ChunkId.parse(f[2]));
                default -> { } // a later version's field: ignored
            }
        }
        if (name == null || base == null || created == null) {
            throw new IllegalArgumentException("missing name, base or created line");
        }
        WorkingState w = working == null ? null : new WorkingState(working, images, files, instructions);
        return new InstanceRecord(name, base, branch, baseState, w, created, generation, migrated);
    }

    /**
     * What can still be read from a record that failed {@link #decode}, line by line, each field
     * on its own and unchecked: hints for {@code instance repair}, which verifies each against the
     * store before it uses one. Null fields could not be read.
     *
     * @param working true when the damaged record names a working state (or its remains suggest one)
     */
    record Remains(String branch, SnapshotId base, Instant created, boolean working) {}

    static Remains salvage(byte[] bytes) {
        String branch = null;
        SnapshotId base = null;
        Instant created = null;
        boolean working = false;
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split(" ");
            try {
                switch (f[0]) {
                    case "branch" -> branch = f.length == 2 ? f[1] : null;
                    case "base" -> base = f.length == 2 ? new SnapshotId(f[1]) : null;
                    case "created" -> created = f.length == 2 ? Instant.parse(f[1]) : null;
                    case "working", "image", "file" -> working = true;
                    default -> { }
                }
            } catch (RuntimeException e) {
                // this line is damaged; the others may not be
            }
        }
        return new Remains(branch, base, created, working);
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b, 0, b.length);
        return (int) c.getValue();
    }
}
