package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vmtree.store.pack.ChunkCodec;
import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import dev.vmtree.store.remote.RemoteFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes what a pack-file remote (SSH, static HTTP) sends before anything of it is stored
 * (docs/security.md, "Fuzzing"): the store's FORMAT file ({@link RemoteLayout#probe}), the
 * {@code chunks/packs} listing, the pack indexes and the records they locate
 * ({@link PackFileChunks}). Any input ends in a result, a {@link TransferException} or an
 * {@code IOException} (a short read), each with one printable line; never another exception, never
 * an allocation beyond a bound of the input; and every record handed on decodes to its id or is
 * refused by the same check {@link Transfer} applies. Seeds in {@code RemoteFuzzTestInputs/*},
 * made by {@link #seeds} ({@code RemoteFuzzSeedsTest}).
 *
 * <p>Input framing for {@link #packs}: u16 listing length, the listing, u32 index length, the
 * index, then the pack: the remote offers exactly those three files, its listing unlistable
 * (a static server).
 */
class RemoteFuzzTest {
    static final String PACKS = "RemoteFuzzTestInputs/packs";
    static final String PROBE = "RemoteFuzzTestInputs/probe";

    @FuzzTest(maxDuration = "10m")
    void probe(byte[] format) throws Exception {
        try (Memory files = new Memory(Map.of("FORMAT", format))) {
            probeOnce(files);
            long before = Allocation.now();   // measured the second time, when what the first needed is loaded
            probeOnce(files);
            Allocation.check(before, format.length, 1 << 20, 16, "a probe");
        }
    }

    private static void probeOnce(Memory files) throws IOException {
        try {
            assertThat(RemoteLayout.probe(files)).isIn("", null);
        } catch (TransferException e) {
            Allocation.oneLine(e.getMessage(), 300, e);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void packs(byte[] input) throws Exception {
        Map<String, byte[]> offered = frame(input);
        if (offered == null) {
            return;
        }
        Path cache = Files.createTempDirectory("vmtree-fuzz-cache-");
        try (Memory files = new Memory(offered)) {
            readAll(files, offered, cache);
            FuzzReceiver.deleteTree(cache);
            // measured the second time, from an empty cache again, when what the first needed is loaded;
            // a record may claim up to 16 MiB (PackFormat.MAX_CHUNK), which decoding allocates once
            long before = Allocation.now();
            readAll(files, offered, cache);
            Allocation.check(before, input.length, PackFormat.MAX_CHUNK + (4 << 20), 64, "reading a remote's packs");
        } finally {
            FuzzReceiver.deleteTree(cache);
        }
    }

    private static void readAll(Memory files, Map<String, byte[]> offered, Path cache) throws IOException {
        PackFileChunks chunks = new PackFileChunks(files, "", cache);
        try {
            List<String> names = chunks.packNames();
            List<ChunkId> ids = new ArrayList<>();
            byte[] idx = offered.get("chunks/pack-0.idx");
            if (!names.isEmpty() && idx != null) {
                PackIndex index = PackIndex.decode(idx);
                for (int i = 0; i < Math.min(index.size(), 64); i++) {
                    ids.add(index.id(i));
                }
            }
            chunks.read(ids, (id, buf, off, len) -> {
                assertThat(off).isBetween(0, buf.length);
                assertThat(len).isBetween(0, buf.length - off);
                try {
                    ChunkCodec.decode(buf, off, len, id, true);
                } catch (ChunkCodec.DamagedRecordException e) {
                    // what Transfer turns into "damaged or forged"
                }
            });
        } catch (TransferException | IOException e) {
            Allocation.oneLine(e.getMessage(), 400, e);
        }
    }

    /** The files one {@link #packs} input offers, or null when it is too short to frame. */
    static Map<String, byte[]> frame(byte[] in) {
        ByteBuffer b = ByteBuffer.wrap(in);
        if (b.remaining() < 2) {
            return null;
        }
        int n = b.getShort() & 0xffff;
        if (b.remaining() < n + 4) {
            return null;
        }
        byte[] listing = new byte[n];
        b.get(listing);
        int m = b.getInt();
        if (m < 0 || b.remaining() < m) {
            return null;
        }
        byte[] idx = new byte[m];
        b.get(idx);
        byte[] pack = new byte[b.remaining()];
        b.get(pack);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("chunks/packs", listing);
        files.put("chunks/pack-0.idx", idx);
        files.put("chunks/pack-0.pack", pack);
        return files;
    }

    static byte[] unframe(String listing, byte[] idx, byte[] pack) {
        byte[] l = listing.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + l.length + 4 + idx.length + pack.length).putShort((short) l.length).put(l)
                .putInt(idx.length).put(idx).put(pack).array();
    }

    /** The seeds, by directory and name: a valid remote and each way one may lie. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put(PROBE + "/bare-v1", "vmtree-store 1\n".getBytes(StandardCharsets.UTF_8));
        out.put(PROBE + "/newer", "vmtree-store 9\n".getBytes(StandardCharsets.UTF_8));
        out.put(PROBE + "/not-a-number", "vmtree-store one\n".getBytes(StandardCharsets.UTF_8));
        out.put(PROBE + "/something-else", "git 2\n".getBytes(StandardCharsets.UTF_8));
        // fuzzing found: a version of control characters made the refusal's message unprintable
        out.put(PROBE + "/control-characters-as-version", "vmtree-store \u0001o\u001be\n".getBytes(StandardCharsets.UTF_8));
        out.put(PROBE + "/past-a-long", "vmtree-store 99999999999999999999\n".getBytes(StandardCharsets.UTF_8));

        ByteArrayOutputStream pack = new ByteArrayOutputStream();
        pack.writeBytes(PackFormat.packHeader());
        List<PackIndex.Entry> entries = new ArrayList<>();
        long pos = PackFormat.PACK_HEADER;
        for (int i = 0; i < 3; i++) {
            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) (i + 1));
            if (i == 2) {
                new java.util.Random(2).nextBytes(data);
            }
            ChunkId id = ChunkId.hash(data);
            byte[] rec = ChunkCodec.encode(id, data, 0, data.length);
            entries.add(new PackIndex.Entry(id, pos, rec.length, data.length));
            pack.writeBytes(rec);
            pos += rec.length;
        }
        byte[] p = pack.toByteArray();
        byte[] idx = PackIndex.encode(entries.toArray(PackIndex.Entry[]::new), pos);
        String listing = "# vmtree-packs 1\npack-0\n";
        out.put(PACKS + "/valid", unframe(listing, idx, p));
        out.put(PACKS + "/traversal", unframe("# vmtree-packs 1\n../../etc/passwd\n", idx, p));
        // fuzzing found: a long name of binary junk made the refusal's message long and unprintable
        byte[] junk = new byte[200];
        new java.util.Random(7).nextBytes(junk);
        out.put(PACKS + "/binary-pack-name", unframe("# vmtree-packs 1\n" + new String(junk, StandardCharsets.ISO_8859_1)
                .replace('\n', 'x') + "\n", idx, p));
        out.put(PACKS + "/newer-listing", unframe("# vmtree-packs 2\npack-0\n", idx, p));
        byte[] forged = p.clone();
        forged[PackFormat.PACK_HEADER + 60] ^= 1;
        out.put(PACKS + "/forged-chunk", unframe(listing, idx, forged));
        out.put(PACKS + "/truncated-pack", unframe(listing, idx, Arrays.copyOf(p, p.length / 2)));
        out.put(PACKS + "/truncated-index", unframe(listing, Arrays.copyOf(idx, idx.length - 9), p));
        byte[] bigCount = idx.clone();
        ByteBuffer.wrap(bigCount).putLong(24, 1L << 60);  // the entry count: 2^60
        out.put(PACKS + "/index-count-2-to-the-60", unframe(listing, bigCount, p));
        byte[] farOffset = PackIndex.encode(new PackIndex.Entry[] {
            new PackIndex.Entry(entries.getFirst().id(), 1L << 40, entries.getFirst().recordLength(), 4096)}, 1L << 41);
        out.put(PACKS + "/offset-past-the-pack", unframe(listing, farOffset, p));
        return out;
    }

    /** A remote of a few in-memory files that cannot list its directories, as a web server. */
    static final class Memory implements RemoteFiles {
        private final Map<String, byte[]> files;

        Memory(Map<String, byte[]> files) {
            this.files = files;
        }

        @Override public String describe() { return "fuzz://remote"; }
        @Override public boolean writable() { return false; }
        @Override public boolean exists(String path) { return files.containsKey(path); }
        @Override public List<String> list(String dir) { return null; }
        @Override public void mkdirs(String dir) { throw new UnsupportedOperationException(); }
        @Override public OutputStream create(String path) { throw new UnsupportedOperationException(); }
        @Override public void rename(String from, String to) { throw new UnsupportedOperationException(); }
        @Override public void delete(String path) { throw new UnsupportedOperationException(); }
        @Override public void close() {}

        @Override
        public byte[] readAll(String path, int max) throws IOException {
            byte[] b = files.get(path);
            if (b == null) {
                throw new NoSuchFileException(path);
            }
            if (b.length > max) {
                throw new TooLargeException(path + " is " + b.length + " bytes, more than " + max);
            }
            return b.clone();
        }

        @Override
        public InputStream read(String path, long offset, long length) throws IOException {
            byte[] b = files.get(path);
            if (b == null) {
                throw new NoSuchFileException(path);
            }
            int from = (int) Math.min(b.length, Math.max(0, offset));
            int to = (int) Math.min(b.length, Math.max(from, offset + length));
            return new ByteArrayInputStream(b, from, to - from);
        }
    }
}
