package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vmtree.store.remote.ObjectFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TreeFormatter;

/**
 * Fuzzes what an object-layout remote (S3) holds before anything of it is stored (docs/security.md,
 * "Fuzzing"): the ref log's keys and entries, HEAD, the meta/ FORMAT and the Git packs
 * ({@link ObjectMeta#refs}, {@link ObjectMeta#head}, {@link ObjectMeta#fetchObjects}). Any input
 * ends in a result or a {@link TransferException} with one printable line, never another exception.
 * Seeds in {@code ObjectMetaFuzzTestInputs/store}, made by {@link #seeds} ({@code ObjectMetaFuzzSeedsTest}).
 *
 * <p>Input framing: entries of u16 key length, key (UTF-8), u32 value length, value, to the end:
 * the objects the store holds.
 */
class ObjectMetaFuzzTest {
    static final String STORE = "ObjectMetaFuzzTestInputs/store";

    @FuzzTest(maxDuration = "10m")
    void store(byte[] input) throws Exception {
        Map<String, byte[]> objects = frame(input);
        if (objects == null) {
            return;
        }
        String outcome = outcome(objects);
        assertThat(outcome).isNotNull();
    }

    /** What reading the store gives: "N refs, M objects", or the refusal's message. */
    static String outcome(Map<String, byte[]> objects) throws IOException {
        Path cache = Files.createTempDirectory("vmtree-fuzz-meta-");
        Path scratch = Files.createTempDirectory("vmtree-fuzz-git-");
        try (Memory files = new Memory(objects)) {
            ObjectMeta meta = new ObjectMeta(files, cache, m -> {});
            try {
                Map<String, ObjectMeta.Version> refs = meta.refs();
                meta.head();
                MetaStore.init(scratch);
                try (MetaStore git = MetaStore.open(scratch)) {
                    List<ObjectId> wanted = new ArrayList<>();
                    refs.values().forEach(v -> wanted.add(v.id()));
                    meta.fetchObjects(git.git(), wanted);
                    long have = wanted.stream().filter(id -> {
                        try {
                            return git.git().getObjectDatabase().has(id);
                        } catch (IOException e) {
                            return false;
                        }
                    }).count();
                    return refs.size() + " refs, " + have + " present";
                }
            } catch (TransferException e) {
                Allocation.oneLine(e.getMessage(), 500, e);
                return e.getMessage();
            }
        } finally {
            FuzzReceiver.deleteTree(cache);
            FuzzReceiver.deleteTree(scratch);
        }
    }

    static Map<String, byte[]> frame(byte[] in) {
        ByteBuffer b = ByteBuffer.wrap(in);
        Map<String, byte[]> out = new TreeMap<>();
        while (b.remaining() >= 2) {
            int kl = b.getShort() & 0xffff;
            if (b.remaining() < kl + 4) {
                return out.isEmpty() ? null : out;
            }
            byte[] k = new byte[kl];
            b.get(k);
            int vl = b.getInt();
            if (vl < 0 || vl > b.remaining()) {
                return out.isEmpty() ? null : out;
            }
            byte[] v = new byte[vl];
            b.get(v);
            out.put(new String(k, StandardCharsets.UTF_8), v);
        }
        return out;
    }

    static byte[] unframe(Map<String, byte[]> objects) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        objects.forEach((k, v) -> {
            byte[] kb = k.getBytes(StandardCharsets.UTF_8);
            o.writeBytes(ByteBuffer.allocate(2 + kb.length + 4).putShort((short) kb.length).put(kb).putInt(v.length).array());
            o.writeBytes(v);
        });
        return o.toByteArray();
    }

    /** A Git pack of one commit (a fixed author and time, so the same bytes every time) and its id. */
    static Map.Entry<ObjectId, byte[]> onePack() throws IOException {
        Path tmp = Files.createTempDirectory("vmtree-fuzz-seed-");
        try {
            MetaStore.init(tmp);
            try (MetaStore git = MetaStore.open(tmp); ObjectInserter ins = git.git().newObjectInserter()) {
                ObjectId tree = ins.insert(new TreeFormatter());
                CommitBuilder c = new CommitBuilder();
                c.setTreeId(tree);
                PersonIdent who = new PersonIdent("vmtree", "vmtree@localhost", 1_700_000_000_000L, 0);
                c.setAuthor(who);
                c.setCommitter(who);
                c.setMessage("seed\n");
                ObjectId id = ins.insert(c);
                ins.flush();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (PackWriter pw = new PackWriter(git.git())) {
                    pw.preparePack(NullProgressMonitor.INSTANCE, java.util.Set.of(id), java.util.Set.of());
                    pw.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, out);
                }
                return Map.entry(id, out.toByteArray());
            }
        } finally {
            FuzzReceiver.deleteTree(tmp);
        }
    }

    static Map<String, byte[]> valid(ObjectId id, byte[] pack) {
        Map<String, byte[]> m = new TreeMap<>();
        m.put("FORMAT", "vmtree-store 1\n".getBytes(StandardCharsets.UTF_8));
        m.put("meta/FORMAT", ObjectMeta.FORMAT_TEXT.getBytes(StandardCharsets.UTF_8));
        m.put("meta/HEAD", "ref: refs/heads/main\n".getBytes(StandardCharsets.UTF_8));
        m.put("meta/refs/heads/main/00000000000000000001", ObjectMeta.entry(ObjectId.zeroId().equals(id) ? id : id));
        m.put("meta/packs/" + ChunkId.hash(pack).hex() + ".pack", pack);
        return m;
    }

    /** The seeds, by name: a valid store and each way one may lie. */
    static Map<String, byte[]> seeds() throws IOException {
        var p = onePack();
        ObjectId id = p.getKey();
        byte[] pack = p.getValue();
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put(STORE + "/valid", unframe(valid(id, pack)));
        Map<String, byte[]> m = valid(id, pack);
        m.put("meta/refs/heads/main/00000000000000000002", ObjectMeta.entry(ObjectId.fromString("1".repeat(40))));
        out.put(STORE + "/newest-entry-names-a-missing-object", unframe(m));
        m = valid(id, pack);
        m.put("meta/refs/heads/main/7", ObjectMeta.entry(id));
        out.put(STORE + "/short-sequence-number", unframe(m));
        m = valid(id, pack);
        // fuzzing found: a sequence number of 20 digits past Long.MAX_VALUE threw NumberFormatException
        m.put("meta/refs/heads/main/60000000000000000001", ObjectMeta.entry(id));
        out.put(STORE + "/sequence-past-a-long", unframe(m));
        m = valid(id, pack);
        m.put("meta/refs/heads/../../x/00000000000000000001", ObjectMeta.entry(id));
        out.put(STORE + "/traversal-in-a-ref", unframe(m));
        m = valid(id, pack);
        m.put("meta/refs/heads/main/00000000000000000001", "vmtree-ref 1\nnot hex\n".getBytes(StandardCharsets.UTF_8));
        out.put(STORE + "/entry-not-hex", unframe(m));
        m = valid(id, pack);
        m.put("meta/refs/heads/main/00000000000000000001", new byte[4096]);
        out.put(STORE + "/entry-too-long", unframe(m));
        m = valid(id, pack);
        byte[] forged = pack.clone();
        forged[forged.length / 2] ^= 1;
        m.put("meta/packs/" + ChunkId.hash(pack).hex() + ".pack", forged);
        out.put(STORE + "/forged-pack", unframe(m));
        m = valid(id, pack);
        byte[] count = pack.clone();
        ByteBuffer.wrap(count).putInt(8, Integer.MAX_VALUE);    // the object count
        m.remove("meta/packs/" + ChunkId.hash(pack).hex() + ".pack");
        m.put("meta/packs/" + ChunkId.hash(count).hex() + ".pack", count);
        out.put(STORE + "/pack-object-count-2-to-the-31", unframe(m));
        m = valid(id, pack);
        m.put("meta/packs/pack-1.pack", pack);
        out.put(STORE + "/bad-pack-name", unframe(m));
        m = valid(id, pack);
        m.put("meta/FORMAT", "vmtree-object-meta 9\n".getBytes(StandardCharsets.UTF_8));
        out.put(STORE + "/newer-layout", unframe(m));
        m = valid(id, pack);
        m.put("meta/HEAD", "ref: ../../etc\n".getBytes(StandardCharsets.UTF_8));
        out.put(STORE + "/odd-head", unframe(m));
        return out;
    }

    /** An object store of a few in-memory objects that enforces conditional creates. */
    static final class Memory implements ObjectFiles {
        private final Map<String, byte[]> objects;

        /** Reads as a pack-file remote's in-memory files read, over the same (live) map. */
        private final RemoteFuzzTest.Memory reads;

        Memory(Map<String, byte[]> objects) {
            this.objects = new TreeMap<>(objects);
            this.reads = new RemoteFuzzTest.Memory(this.objects);
        }

        @Override public String describe() { return "fuzz://objects"; }
        @Override public boolean writable() { return true; }
        @Override public boolean exists(String path) { return objects.containsKey(path); }
        @Override public void mkdirs(String dir) {}
        @Override public void rename(String from, String to) { objects.put(to, objects.remove(from)); }
        @Override public void delete(String path) { objects.remove(path); }
        @Override public void close() {}

        @Override
        public List<String> list(String dir) {
            String p = dir.isEmpty() ? "" : dir + "/";
            return objects.keySet().stream().filter(k -> k.startsWith(p)).map(k -> k.substring(p.length()))
                    .map(k -> k.contains("/") ? k.substring(0, k.indexOf('/')) : k).distinct().toList();
        }

        @Override
        public List<String> listRecursive(String prefix, String startAfter, int max) {
            return objects.keySet().stream().filter(k -> k.startsWith(prefix)).map(k -> k.substring(prefix.length()))
                    .filter(k -> startAfter == null || k.compareTo(startAfter) > 0).limit(max).toList();
        }

        @Override
        public OutputStream create(String path) {
            return new ByteArrayOutputStream() {
                @Override
                public void close() {
                    objects.put(path, toByteArray());
                }
            };
        }

        @Override
        public boolean createIfAbsent(String path, byte[] data) {
            return objects.putIfAbsent(path, data.clone()) == null;
        }

        @Override
        public byte[] readAll(String path, int max) throws IOException {
            return reads.readAll(path, max);
        }

        @Override
        public InputStream read(String path, long offset, long length) throws IOException {
            return reads.read(path, offset, length);
        }
    }
}
