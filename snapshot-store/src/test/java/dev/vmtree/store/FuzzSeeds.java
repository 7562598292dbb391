package dev.vmtree.store;

import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TagBuilder;
import org.eclipse.jgit.util.SystemReader;

/**
 * Makes the committed seed corpora of the store's fuzz tests (Jazzer's layout: {@code
 * src/test/resources/dev/vmtree/store/<Test>Inputs/<method>/<seed>}): valid inputs and every hostile
 * case the bundle tests cover, each named for what it is, with the outcome it must have
 * ({@link Seed#expect}: "ok", "imported", "checked", "refused", or a piece of the error message).
 * {@code FuzzSeedsTest} checks that the committed seeds are these and end so; regenerate them with
 * {@code -Dvmtree.writeSeeds=true}: the commits and tags carry a fixed time ({@link #TIME}), so the
 * same code writes the same bytes and only a changed case shows in a diff.
 */
final class FuzzSeeds {
    private FuzzSeeds() {}

    static final String HEADER = "BundleHeaderFuzzTestInputs/decode";
    static final String RAW = "BundleFuzzTestInputs/rawBundle";
    static final String EDITED = "BundleFuzzTestInputs/editedBundle";
    static final String TAG = "TagObjectFuzzTestInputs/parse";

    record Seed(String dir, String name, byte[] bytes, String expect) {}

    /** A stand-in for an SSH signer: the armor is what the parsers look at, not the signature. */
    static final TagSigner FAKE_SIGNER = payload -> ("-----BEGIN SSH SIGNATURE-----\n"
            + "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgZnV6enNlZWRmdXp6c2VlZGZ1enpzZWVk\n"
            + "-----END SSH SIGNATURE-----\n").getBytes(StandardCharsets.US_ASCII);

    /** Page {@code i} of version {@code v} of the source image: half zero, half low-entropy. */
    private static byte[] page(int v, long i) {
        if (i % 2 == 0) {
            return null;
        }
        byte[] p = new byte[TestImages.PAGE];
        for (int j = 0; j < p.length; j += 64) {
            p[j] = (byte) (i * 31 + j / 64 + v * 7);
        }
        return p;
    }

    /** The time every seed's commits and tags carry, so generating twice gives the same bytes. */
    static final java.time.Instant TIME = java.time.Instant.parse("2026-01-01T00:00:00Z");

    static List<Seed> generate(Path scratch) throws IOException {
        SystemReader before = SystemReader.getInstance();
        SystemReader.setInstance(new SystemReader.Delegate(before) {
            @Override
            public java.time.Instant now() {
                return TIME;
            }

            @Override
            public long getCurrentTime() {
                return TIME.toEpochMilli();
            }

            @Override
            public java.time.ZoneOffset getTimeZoneAt(java.time.Instant when) {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public int getTimezone(long when) {
                return 0;
            }
        });
        try {
            return generateAtFixedTime(scratch);
        } finally {
            SystemReader.setInstance(before);
        }
    }

    private static List<Seed> generateAtFixedTime(Path scratch) throws IOException {
        Path src = scratch.resolve("source");
        SnapshotId a;
        SnapshotId b;
        SnapshotId c;
        try (Repository repo = Repository.init(src); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot ra = tx.buildTree(8L * TestImages.PAGE, TestImages.PAGE, i -> page(0, i));
            a = tx.writeSnapshot(List.of(), new SnapshotContent(Map.of("machine.state", "a\n".getBytes(StandardCharsets.UTF_8)),
                    Map.of("ram", ra)), "a");
            require(tx.createAnnotatedTag("refs/tags/golden", a, "Image Builder", "builder@example.org", "golden",
                    FAKE_SIGNER, "tag").ok());
            PageTreeRoot rb = tx.updateTree(ra, i -> page(1, i), new long[] {3, 5});
            b = tx.writeSnapshot(List.of(a), SnapshotContent.ofImages(Map.of("ram", rb)), "b");
            require(tx.updateRef("refs/heads/main", null, b, "b").ok());
            PageTreeRoot rc = tx.updateTree(rb, i -> page(2, i), new long[] {7});
            c = tx.writeSnapshot(List.of(b), SnapshotContent.ofImages(Map.of("ram", rc)), "c");
            require(tx.updateRef("refs/heads/next", null, c, "c").ok());
        }
        byte[] base;
        byte[] full;
        byte[] thin;
        byte[] thinMissing;
        byte[] clash;
        byte[] goldenTag;
        try (Repository repo = Repository.open(src)) {
            base = create(repo, scratch, Map.of("refs/tags/golden", a), List.of());
            full = create(repo, scratch, ordered("refs/heads/main", b, "refs/tags/golden", a), List.of());
            thin = create(repo, scratch, Map.of("refs/heads/main", b), List.of(a));
            thinMissing = create(repo, scratch, Map.of("refs/heads/next", c), List.of(b));
            clash = create(repo, scratch, Map.of("refs/heads/main/x", b), List.of());
            ObjectId tagId = repo.meta().git().exactRef("refs/tags/golden").getObjectId();
            try (var reader = repo.meta().git().newObjectReader()) {
                goldenTag = reader.open(tagId).getBytes();
            }
        }
        List<Seed> out = new ArrayList<>();
        rawSeeds(out, base, full, thin, thinMissing, clash);
        editSeeds(out);
        headerSeeds(out, TarBytes.read(full).get(0).data(), TarBytes.read(thin).get(0).data());
        tagSeeds(out, goldenTag, a);
        return out;
    }

    private static void rawSeeds(List<Seed> out, byte[] base, byte[] full, byte[] thin, byte[] thinMissing, byte[] clash)
            throws IOException {
        out.add(new Seed(RAW, "valid-base", base, "imported"));
        out.add(new Seed(RAW, "valid-full", full, "imported"));
        out.add(new Seed(RAW, "valid-thin", thin, "imported"));
        List<TarBytes.Entry> parts = TarBytes.read(full);
        out.add(new Seed(RAW, "valid-compact-tar", TarBytes.write(parts), "imported"));
        out.add(new Seed(RAW, "thin-against-missing-base", thinMissing, "which this repository lacks"));
        out.add(new Seed(RAW, "ref-clashes-with-a-branch", clash, "clashes with refs/heads/main"));

        List<TarBytes.Entry> p = new ArrayList<>(parts);
        p.set(1, p.get(1).withName("../../evil"));
        out.add(new Seed(RAW, "path-traversal", TarBytes.write(p), "unexpected entry '../../evil'"));
        p = new ArrayList<>(parts);
        p.set(0, p.get(0).withName("/etc/vmtree-bundle"));
        out.add(new Seed(RAW, "absolute-name", TarBytes.write(p), "unexpected entry '/etc/vmtree-bundle'"));
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withType((byte) '2'));
        out.add(new Seed(RAW, "symlink-entry", TarBytes.write(p), "entry meta.bundle is not a regular file"));
        p = new ArrayList<>(parts);
        p.add(new TarBytes.Entry("extra", new byte[] {1}));
        out.add(new Seed(RAW, "entry-after-the-pack", TarBytes.write(p), "unexpected entry 'extra' after chunks.pack"));
        p = new ArrayList<>(parts);
        p.add(1, p.get(0));
        out.add(new Seed(RAW, "header-twice", TarBytes.write(p), "unexpected entry 'vmtree-bundle' where meta.bundle"));

        byte[] pack = parts.get(3).data().clone();
        ByteBuffer bb = ByteBuffer.wrap(pack);
        int stored = bb.getInt(PackFormat.PACK_HEADER + 8);
        int end = PackFormat.PACK_HEADER + PackFormat.RECORD_HEADER + stored;
        pack[PackFormat.PACK_HEADER + PackFormat.RECORD_HEADER + stored / 2] ^= 0x5a;
        CRC32C crc = new CRC32C();
        crc.update(pack, PackFormat.PACK_HEADER, end - PackFormat.PACK_HEADER);
        bb.putInt(end, (int) crc.getValue());
        p = new ArrayList<>(parts);
        p.set(3, p.get(3).withData(pack));
        out.add(new Seed(RAW, "forged-chunk", TarBytes.write(p), "chunk "));

        p = new ArrayList<>(parts);
        p.set(3, p.get(3).withData(java.util.Arrays.copyOf(parts.get(3).data(), parts.get(3).data().length + 512)));
        out.add(new Seed(RAW, "entry-larger-than-declared", TarBytes.write(p), "bytes, the header declares"));
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withPax("size=99999999999"));
        out.add(new Seed(RAW, "pax-size", TarBytes.write(p), "entry meta.bundle is 99999999999 bytes"));
        p = new ArrayList<>(parts);
        p.set(2, p.get(2).withPax("path=../../chunks.idx"));
        out.add(new Seed(RAW, "pax-path-traversal", TarBytes.write(p), "unexpected entry '../../chunks.idx'"));
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withPax("GNU.sparse.map=0," + parts.get(1).data().length).withPax("GNU.sparse.size=268435456"));
        out.add(new Seed(RAW, "sparse-entry", TarBytes.write(p), "entry meta.bundle is not a regular file"));
        p = new ArrayList<>(parts);
        p.set(2, p.get(2).withType((byte) '1'));
        out.add(new Seed(RAW, "hard-link-entry", TarBytes.write(p), "entry chunks.idx is not a regular file"));
        byte[] compact = TarBytes.write(parts);
        out.add(new Seed(RAW, "truncated", java.util.Arrays.copyOf(compact, compact.length / 2), "truncated"));
        out.add(new Seed(RAW, "truncated-in-a-tar-header", java.util.Arrays.copyOf(compact, 700), "truncated"));

        // one LZ4 record of 16 bytes that claims to expand to 16 MiB
        int raw = 16 << 20;
        ByteBuffer rec = ByteBuffer.allocate(PackFormat.RECORD_HEADER + 16 + 4);
        byte[] id = new byte[32];
        new java.util.Random(1).nextBytes(id);
        rec.put((byte) 1).put((byte) 0).putShort((short) 44).putInt(raw).putInt(16).put(id).put(new byte[16]);
        crc = new CRC32C();
        crc.update(rec.array(), 0, 44 + 16);
        rec.putInt((int) crc.getValue());
        ByteBuffer bomb = ByteBuffer.allocate(16 + rec.capacity());
        bomb.put(PackFormat.PACK_MAGIC).putInt(1).putInt(16).put(rec.array());
        byte[] bombIndex = PackIndex.encode(new PackIndex.Entry[] {
            new PackIndex.Entry(ChunkId.fromBytes(id, 0), 16, rec.capacity(), raw)}, bomb.capacity());
        p = new ArrayList<>(parts);
        p.set(2, p.get(2).withData(bombIndex));
        p.set(3, p.get(3).withData(bomb.array()));
        out.add(new Seed(RAW, "decompression-bomb", TarBytes.write(header(p, "chunks 1 " + raw)), "decompression bomb"));

        // the index without a chunk of snapshot b, which the receiver lacks (and the pack without that record)
        PackIndex idx = PackIndex.decode(parts.get(2).data());
        PackIndex ofBase = PackIndex.decode(TarBytes.read(base).get(2).data());
        int drop = 0;
        while (ofBase.find(idx.id(drop)) >= 0) {
            drop++;
        }
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        kept.write(parts.get(3).data(), 0, PackFormat.PACK_HEADER);
        List<PackIndex.Entry> entries = new ArrayList<>();
        long rawKept = 0;
        for (int i = 0; i < idx.size(); i++) {
            if (i == drop) {
                continue;
            }
            entries.add(new PackIndex.Entry(idx.id(i), kept.size(), idx.recordLength(i), idx.rawLength(i)));
            kept.write(parts.get(3).data(), (int) idx.offset(i), idx.recordLength(i));
            rawKept += idx.rawLength(i);
        }
        p = new ArrayList<>(parts);
        p.set(2, p.get(2).withData(PackIndex.encode(entries.toArray(PackIndex.Entry[]::new), kept.size())));
        p.set(3, p.get(3).withData(kept.toByteArray()));
        out.add(new Seed(RAW, "missing-chunk", TarBytes.write(header(p, "chunks " + entries.size() + " " + rawKept)),
                "it lacks chunk " + idx.id(drop).hex()));

        // one chunk more, which no snapshot names
        byte[] stray = "a chunk no snapshot names".getBytes(StandardCharsets.US_ASCII);
        ChunkId strayId = ChunkId.hash(stray);
        byte[] strayRec = dev.vmtree.store.pack.ChunkCodec.encode(strayId, stray, 0, stray.length);
        List<PackIndex.Entry> more = new ArrayList<>();
        long rawMore = stray.length;
        for (int i = 0; i < idx.size(); i++) {
            more.add(new PackIndex.Entry(idx.id(i), idx.offset(i), idx.recordLength(i), idx.rawLength(i)));
            rawMore += idx.rawLength(i);
        }
        more.add(new PackIndex.Entry(strayId, parts.get(3).data().length, strayRec.length, stray.length));
        ByteArrayOutputStream morePack = new ByteArrayOutputStream();
        morePack.writeBytes(parts.get(3).data());
        morePack.writeBytes(strayRec);
        p = new ArrayList<>(parts);
        p.set(2, p.get(2).withData(PackIndex.encode(more.toArray(PackIndex.Entry[]::new), morePack.size())));
        p.set(3, p.get(3).withData(morePack.toByteArray()));
        out.add(new Seed(RAW, "chunk-no-snapshot-names", TarBytes.write(header(p, "chunks " + more.size() + " " + rawMore)),
                "which none of its snapshots names"));

        // refs/heads/main at a commit neither the bundle nor the receiver has, in the header and the Git bundle
        String hdr = new String(parts.get(0).data(), StandardCharsets.UTF_8);
        String mainHex = hdr.lines().filter(l -> l.endsWith(" refs/heads/main")).findFirst().orElseThrow().split(" ")[1];
        String missing = "ab".repeat(20);
        byte[] meta = parts.get(1).data().clone();
        String head = new String(meta, 0, 300, StandardCharsets.ISO_8859_1);
        int at = head.indexOf(mainHex + " refs/heads/main");
        System.arraycopy(missing.getBytes(StandardCharsets.US_ASCII), 0, meta, at, 40);
        p = new ArrayList<>(parts);
        p.set(0, p.get(0).withData(hdr.replace(mainHex + " refs/heads/main", missing + " refs/heads/main")
                .getBytes(StandardCharsets.UTF_8)));
        p.set(1, p.get(1).withData(meta));
        out.add(new Seed(RAW, "ref-to-a-missing-commit", TarBytes.write(header(p)), "bad bundle"));

        p = new ArrayList<>(parts);
        p.set(0, p.get(0).withData(hdr.replace(mainHex + " refs/heads/main", mainHex + " refs/heads/other")
                .getBytes(StandardCharsets.UTF_8)));
        out.add(new Seed(RAW, "header-and-git-refs-differ", TarBytes.write(header(p)),
                "the refs of meta.bundle are not the ones its header lists"));

        // found by fuzzing: JGit's error about a bad Git bundle line quoted its bytes, control characters and all
        String gitHead = new String(parts.get(1).data(), StandardCharsets.ISO_8859_1);
        String tagLine = gitHead.lines().filter(l -> l.endsWith(" refs/tags/golden")).findFirst().orElseThrow();
        byte[] withControls = gitHead.replace(tagLine, tagLine.substring(0, 11) + "\u0000\u001b[2J\u00c0@")
                .getBytes(StandardCharsets.ISO_8859_1);
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withData(withControls));
        out.add(new Seed(RAW, "git-bundle-line-with-control-bytes", TarBytes.write(header(p)), "meta.bundle is unusable"));

        // found by fuzzing: JGit sized an array by the object count of the Git pack's header (2^31 here)
        byte[] counted = parts.get(1).data().clone();
        int packAt = new String(counted, StandardCharsets.ISO_8859_1).indexOf("\n\nPACK") + 2;
        ByteBuffer.wrap(counted).putInt(packAt + 8, Integer.MAX_VALUE);
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withData(counted));
        out.add(new Seed(RAW, "git-pack-declares-2g-objects", TarBytes.write(p), "objects in"));
        // a delta that declares a result of 2e9 bytes (just under JGit's own limit), which JGit would
        // allocate before applying it
        byte[] blob = gitObject(3, new byte[0], "a".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream delta = new ByteArrayOutputStream();
        delta.write(1);                                    // the base's size
        for (long v = 2_000_000_000L; ; v >>>= 7) {       // the result's size
            delta.write((int) (v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            if (v <= 0x7f) {
                break;
            }
        }
        delta.writeBytes(new byte[] {1, 'b'});             // insert one byte
        byte[] deltaBomb = gitBundle(gitHead.substring(0, gitHead.indexOf("\n\n") + 2), List.of(blob,
                gitObject(6, new byte[] {(byte) blob.length}, delta.toByteArray())));
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withData(deltaBomb));
        out.add(new Seed(RAW, "git-delta-declares-2e9-bytes", TarBytes.write(header(p)), "bytes, more than"));
        // a commit declaring 2 MiB: JGit inflates a commit whole, into an array of the declared size
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withData(gitBundle(gitHead.substring(0, gitHead.indexOf("\n\n") + 2),
                List.of(gitObject(1, 2 << 20, new byte[0], "tree".getBytes(StandardCharsets.US_ASCII))))));
        out.add(new Seed(RAW, "git-commit-declares-2-mib", TarBytes.write(header(p)), "commit of 2097152 bytes"));
        // found by fuzzing: a commit whose size takes ten bytes, 0x8000000070000000, negative as a long;
        // JGit allocates a commit (not a blob) whole, at the size's low 32 bits (1.8 GB)
        ByteArrayOutputStream overlong = new ByteArrayOutputStream();
        overlong.writeBytes(new byte[] {(byte) 0x90, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0xb8, (byte) 0x80,
            (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08});
        overlong.writeBytes(java.util.Arrays.copyOfRange(blob, 1, blob.length));
        p = new ArrayList<>(parts);
        p.set(1, p.get(1).withData(gitBundle(gitHead.substring(0, gitHead.indexOf("\n\n") + 2),
                List.of(overlong.toByteArray()))));
        out.add(new Seed(RAW, "git-object-size-past-64-bits", TarBytes.write(header(p)), "longer than 64 bits"));

        byte[] forged = parts.get(0).data().clone();
        forged[forged.length - 3] ^= 1;
        p = new ArrayList<>(parts);
        p.set(0, p.get(0).withData(forged));
        out.add(new Seed(RAW, "forged-header", TarBytes.write(p), "header checksum mismatch"));

        // the header's chunks count wraps around in the index-size check: 2^60 more than the index holds
        long count = idx.size() + (1L << 60);
        p = new ArrayList<>(parts);
        String chunksLine = hdr.lines().filter(l -> l.startsWith("chunks ")).findFirst().orElseThrow();
        out.add(new Seed(RAW, "chunk-count-overflow", TarBytes.write(header(p, "chunks " + count + " "
                + chunksLine.split(" ")[2])), "chunks but an index of"));

        // a GNU long name of 200 MiB in front of the header: Commons Compress would buffer it whole
        List<TarBytes.Entry> longName = new ArrayList<>();
        longName.add(new TarBytes.Entry("././@LongLink", TarBytes.GNU_LONG_NAME, 200L << 20,
                "x".repeat(66 << 10).getBytes(StandardCharsets.US_ASCII), List.of()));
        out.add(new Seed(RAW, "huge-long-name", TarBytes.write(longName),
                "the tar headers before entry vmtree-bundle are larger than 64 KiB"));
        byte[] noise = new byte[1024];
        new java.util.Random(18).nextBytes(noise);
        out.add(new Seed(RAW, "not-a-tar", noise, "bad bundle"));
    }

    /** A Git pack object: its type-and-size header, {@code between} (a delta's base offset), the zlib data. */
    private static byte[] gitObject(int type, byte[] between, byte[] data) {
        return gitObject(type, data.length, between, data);
    }

    /** As above, declaring {@code size} whatever the data holds. */
    private static byte[] gitObject(int type, long size, byte[] between, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int c = (type << 4) | (int) (size & 15);
        size >>>= 4;
        while (size != 0) {
            out.write(c | 0x80);
            c = (int) (size & 0x7f);
            size >>>= 7;
        }
        out.write(c);
        out.writeBytes(between);
        java.util.zip.Deflater d = new java.util.zip.Deflater();
        d.setInput(data);
        d.finish();
        byte[] buf = new byte[data.length + 64];
        out.write(buf, 0, d.deflate(buf));
        d.end();
        return out.toByteArray();
    }

    /** A Git bundle: {@code head} (its text up to and with the blank line) and a pack of {@code objects}. */
    private static byte[] gitBundle(String head, List<byte[]> objects) {
        ByteArrayOutputStream pack = new ByteArrayOutputStream();
        pack.writeBytes("PACK".getBytes(StandardCharsets.US_ASCII));
        pack.writeBytes(ByteBuffer.allocate(8).putInt(2).putInt(objects.size()).array());
        objects.forEach(pack::writeBytes);
        try {
            pack.writeBytes(java.security.MessageDigest.getInstance("SHA-1").digest(pack.toByteArray()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(pack.toByteArray());
        return out.toByteArray();
    }

    /**
     * Rewrites the header of {@code p} to declare the parts' entry sizes, with {@code lines} (a key and
     * its values) instead of its own lines of that key, and a fresh checksum.
     */
    private static List<TarBytes.Entry> header(List<TarBytes.Entry> p, String... lines) {
        Map<String, String> replace = new LinkedHashMap<>();
        for (String l : lines) {
            replace.put(l.substring(0, l.indexOf(' ')), l);
        }
        StringBuilder sb = new StringBuilder();
        for (String line : new String(p.get(0).data(), StandardCharsets.UTF_8).split("\n")) {
            String[] w = line.split(" ");
            if (w[0].equals("crc32c")) {
                continue;
            }
            if (replace.containsKey(w[0])) {
                line = replace.get(w[0]);
            } else if (w[0].equals("entry")) {
                for (TarBytes.Entry e : p) {
                    if (e.name().equals(w[1])) {
                        line = "entry " + w[1] + " " + e.data().length;
                    }
                }
            }
            sb.append(line).append('\n');
        }
        List<TarBytes.Entry> out = new ArrayList<>(p);
        out.set(0, p.get(0).withData(withCrc(sb.toString())));
        return out;
    }

    private static byte[] withCrc(String text) {
        CRC32C crc = new CRC32C();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return (text + String.format("crc32c %08x\n", crc.getValue())).getBytes(StandardCharsets.UTF_8);
    }

    private static void editSeeds(List<Seed> out) {
        out.add(edit("as-it-is-full", "imported", 0));
        out.add(edit("as-it-is-thin", "imported", BundleEdits.THIN));
        out.add(edit("check-only", "checked", BundleEdits.CHECK_ONLY));
        out.add(edit("refused-without-force", "refused", BundleEdits.NO_FORCE));
        out.add(edit("rename-an-entry-to-a-traversal", "unexpected entry '../../evil'", 0, 3, 1, 10, "../../evil"));
        out.add(edit("record-raw-length", "chunk ", 0, 8, 0, 1, 1, 0, 0, 0));
        out.add(edit("record-stored-length", "bad bundle", 0, 8, 1, 2, 0, 0, 0, 9));
        out.add(edit("record-header-length", "bad bundle", 0, 8, 2, 3, 0, 0, 0, 40));
        out.add(edit("record-encoding", "chunk ", 0, 8, 0, 0, 0, 0, 0, 7));
        out.add(edit("rename-a-ref-to-clash", "clashes with refs/heads/main", 0, 9, 0, 17, "refs/heads/main/x"));
        out.add(edit("rename-a-ref-outside-heads-and-tags", "bad header line", 0, 9, 0, 14, "refs/notes/one"));
        out.add(edit("ref-to-a-missing-commit", "bad bundle", 0, 10, 0, "abababababababababab"));
        out.add(edit("declare-a-huge-entry", "bad bundle", 0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0));
        out.add(edit("pax-path", "unexpected entry '../x'", 0, 14, 0, 12, "path=../x"));
        out.add(edit("base-the-receiver-lacks", "which this repository lacks", 0, 11, 45,
                "base " + "cd".repeat(20)));
        out.add(edit("cut-the-file", "truncated", 0, 13, 0, 0, 12, 0));
        out.add(edit("flip-a-pack-byte-and-keep-the-crc", "chunk ", BundleEdits.KEEP_RECORD_CRCS, 0, 3, 0, 70, 1, 0x40));
        out.add(edit("edit-the-header-and-keep-its-crc", "header checksum mismatch", BundleEdits.KEEP_HEADER_CRC, 0, 0, 0, 0,
                1, 'X'));
        out.add(edit("drop-the-index", "unexpected entry 'chunks.pack' where chunks.idx should be", 0, 4, 2));
        out.add(edit("symlink-type", "is not a regular file", 0, 6, 3, '2'));
    }

    /** An edit script: the flags, then ops whose arguments are ints (one byte each) or strings (raw bytes). */
    private static Seed edit(String name, String expect, int flags, Object... ops) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(flags);
        for (Object o : ops) {
            if (o instanceof String s) {
                b.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            } else if (o instanceof Character ch) {
                b.write(ch);
            } else {
                b.write((Integer) o);
            }
        }
        return new Seed(EDITED, name, b.toByteArray(), expect);
    }

    private static void headerSeeds(List<Seed> out, byte[] full, byte[] thin) {
        out.add(new Seed(HEADER, "valid-full", full, "ok"));
        out.add(new Seed(HEADER, "valid-thin", thin, "ok"));
        String body = new String(full, StandardCharsets.UTF_8);
        body = body.substring(0, body.lastIndexOf("crc32c "));
        out.add(new Seed(HEADER, "unknown-line-is-skipped", withCrc(body + "future 1 2 3\n"), "ok"));
        byte[] bad = full.clone();
        bad[bad.length - 2] ^= 1;
        out.add(new Seed(HEADER, "checksum-mismatch", bad, "checksum mismatch"));
        out.add(new Seed(HEADER, "no-final-newline", java.util.Arrays.copyOf(full, full.length - 1), "newline"));
        out.add(new Seed(HEADER, "version-2", withCrc(body.replace("vmtree-bundle 1", "vmtree-bundle 2")), "bundle format 2"));
        out.add(new Seed(HEADER, "not-a-bundle", withCrc("tar-bundle 1\n"), "not a vmtree bundle"));
        String ref = body.lines().filter(l -> l.startsWith("ref ")).findFirst().orElseThrow();
        out.add(new Seed(HEADER, "duplicate-ref", withCrc(body.replace(ref, ref + "\n" + ref)), "duplicate ref"));
        out.add(new Seed(HEADER, "ref-with-dotdot", withCrc(body.replace(ref, ref.substring(0, 45) + "refs/heads/../x")),
                "ref name"));
        out.add(new Seed(HEADER, "ref-outside-heads-and-tags", withCrc(body.replace(ref, ref.substring(0, 45)
                + "refs/notes/x")), "ref name"));
        out.add(new Seed(HEADER, "upper-case-id", withCrc(body.replace(ref, ref.substring(0, 4)
                + ref.substring(4, 44).toUpperCase() + ref.substring(44))), "bad header line"));
        out.add(new Seed(HEADER, "no-refs", withCrc(body.lines().filter(l -> !l.startsWith("ref ")).map(l -> l + "\n")
                .reduce("", String::concat)), "no refs"));
        out.add(new Seed(HEADER, "no-chunks-line", withCrc(body.lines().filter(l -> !l.startsWith("chunks "))
                .map(l -> l + "\n").reduce("", String::concat)), "no chunks line"));
        out.add(new Seed(HEADER, "no-pack-entry", withCrc(body.lines().filter(l -> !l.startsWith("entry chunks.pack"))
                .map(l -> l + "\n").reduce("", String::concat)), "no entry line for chunks.pack"));
        out.add(new Seed(HEADER, "size-past-a-long", withCrc(body.replaceFirst("entry meta.bundle [0-9]+",
                "entry meta.bundle 9999999999999999999")), "bad header line"));
        out.add(new Seed(HEADER, "negative-size", withCrc(body.replaceFirst("entry meta.bundle [0-9]+",
                "entry meta.bundle -1")), "bad header line"));
        // twelve bytes that are not UTF-8: decoded as U+FFFD (3 bytes each), the checksummed prefix grew past the end
        byte[] latin = (body.replace("refs/tags/golden", "refs/tags/g" + "\u00ff".repeat(12) + "olden")).getBytes(StandardCharsets.ISO_8859_1);
        CRC32C crc = new CRC32C();
        crc.update(latin);
        ByteArrayOutputStream notUtf8 = new ByteArrayOutputStream();
        notUtf8.writeBytes(latin);
        notUtf8.writeBytes(String.format("crc32c %08x\n", crc.getValue()).getBytes(StandardCharsets.US_ASCII));
        out.add(new Seed(HEADER, "not-utf8", notUtf8.toByteArray(), "not UTF-8"));
        out.add(new Seed(HEADER, "only-a-newline", new byte[] {'\n'}, "checksum mismatch"));
    }

    private static void tagSeeds(List<Seed> out, byte[] golden, SnapshotId target) {
        out.add(new Seed(TAG, "signed", golden, "ok"));
        String text = new String(golden, StandardCharsets.UTF_8);
        String unsigned = text.substring(0, text.indexOf("-----BEGIN"));
        out.add(new Seed(TAG, "unsigned", unsigned.getBytes(StandardCharsets.UTF_8), "ok"));
        // Git takes a signature only at the end of a tag: text after it makes the tag unsigned, all of it payload
        out.add(new Seed(TAG, "text-after-the-signature", (text + "more\n").getBytes(StandardCharsets.UTF_8), "ok"));
        out.add(new Seed(TAG, "names-a-tree", tag(target, Constants.OBJ_TREE, "v1", "m\n"), "names a tree"));
        out.add(new Seed(TAG, "names-a-blob", tag(target, Constants.OBJ_BLOB, "v1", "m\n"), "names a blob"));
        out.add(new Seed(TAG, "no-tagger", unsigned.replaceFirst("tagger [^\n]*\n", "").getBytes(StandardCharsets.UTF_8),
                "ok"));
        out.add(new Seed(TAG, "bad-tagger", unsigned.replaceFirst("tagger [^\n]*\n", "tagger nobody\n")
                .getBytes(StandardCharsets.UTF_8), "malformed"));
        out.add(new Seed(TAG, "bad-object-id", unsigned.replaceFirst("object [0-9a-f]{40}", "object " + "zz".repeat(20))
                .getBytes(StandardCharsets.UTF_8), "malformed"));
        out.add(new Seed(TAG, "type-missing", unsigned.replaceFirst("type commit\n", "").getBytes(StandardCharsets.UTF_8),
                "malformed"));
        out.add(new Seed(TAG, "truncated", java.util.Arrays.copyOf(golden, 50), "malformed"));
        // found by fuzzing: JGit's ObjectChecker read past the end (ArrayIndexOutOfBoundsException)
        out.add(new Seed(TAG, "ends-after-the-object-id", ("object " + target.hex()).getBytes(StandardCharsets.US_ASCII),
                "ends inside a header line"));
        // found by fuzzing: JGit's ObjectChecker passed this, and RevTag.parse then read past the end
        // found by fuzzing: a tagger time of 52 digits, which JGit's parser turns into an Instant
        out.add(new Seed(TAG, "tagger-time-out-of-range", ("object " + target.hex() + "\ntype commit\ntag \ntagger <l> "
                + "8".repeat(51) + "3 +\n").getBytes(StandardCharsets.US_ASCII), "time is out of range"));
        // found by fuzzing: a time an Instant holds but whose milliseconds overflow a long
        out.add(new Seed(TAG, "tagger-time-past-long-milliseconds", ("object " + target.hex()
                + "\ntype commit\ntag \ntagger <l> 22222222222222220 +\n").getBytes(StandardCharsets.US_ASCII),
                "time is out of range"));
        out.add(new Seed(TAG, "ends-inside-the-tag-line", ("object " + target.hex() + "\ntype blob\ntag ")
                .getBytes(StandardCharsets.US_ASCII), "ends inside a header line"));
        out.add(new Seed(TAG, "only-the-armor", ("-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n")
                .getBytes(StandardCharsets.US_ASCII), "malformed"));
    }

    private static byte[] tag(SnapshotId target, int type, String name, String message) {
        TagBuilder tb = new TagBuilder();
        tb.setObjectId(ObjectId.fromString(target.hex()), type);
        tb.setTag(name);
        tb.setTagger(new PersonIdent("Image Builder", "builder@example.org", java.time.Instant.ofEpochSecond(1_700_000_000),
                java.time.ZoneOffset.UTC));
        tb.setMessage(message);
        try {
            return tb.build();
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] create(Repository repo, Path scratch, Map<String, SnapshotId> refs, List<SnapshotId> bases)
            throws IOException {
        Path f = Files.createTempFile(scratch, "seed-", ".bundle");
        Bundle.create(repo, f, refs, bases);
        return TarBytes.zeroTimes(Files.readAllBytes(f));   // entries carry the time they were written
    }

    private static Map<String, SnapshotId> ordered(String k1, SnapshotId v1, String k2, SnapshotId v2) {
        Map<String, SnapshotId> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    private static void require(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("could not build the seed repository");
        }
    }
}
