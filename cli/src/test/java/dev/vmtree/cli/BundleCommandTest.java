package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.pack.PackIndex;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, bundles: `bundle create`, `verify` and `unbundle` carry a machine's snapshots (its
 * ReplayLog included) to another repository; a thin bundle carries only what a 1% update changed;
 * and every hostile bundle is refused with one line, leaving the receiver exactly as it was.
 */
@Tag("engines")
class BundleCommandTest {
    @TempDir
    static Path dir;

    static Dom0Fixture sender;
    static Path full;
    static Path thin;

    @BeforeAll
    static void machine() throws Exception {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        sender = new Dom0Fixture(dir.resolve("sender")).init();
        sender.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        sender.runWith("set a 5\nset b 7\n");
        // half of RAM holds random bytes the guest never touches, so the image is mostly data, not zeros
        java.util.Random rnd = new java.util.Random(16);
        for (int mib = 0; mib < 8; mib++) {
            byte[] b = new byte[1 << 20];
            rnd.nextBytes(b);
            sender.vm("mem", "write", "0x" + Long.toHexString(0x80400000L + ((long) mib << 20)),
                    java.util.HexFormat.of().formatHex(b)).ok();
        }
        sender.vm("commit", "-m", "two keys").ok();
        sender.vm("tag", "golden", "kv").ok();
        // a 1% update: 41 of the 4096 pages of RAM rewritten with random bytes
        for (int i = 0; i < 41; i++) {
            byte[] b = new byte[4096];
            rnd.nextBytes(b);
            sender.vm("mem", "write", "0x" + Long.toHexString(0x80800000L + i * 4096L),
                    java.util.HexFormat.of().formatHex(b)).ok();
        }
        sender.vm("commit", "-m", "1% update").ok();
        full = dir.resolve("full.bundle");
        thin = dir.resolve("thin.bundle");
        sender.vm("bundle", "create", full.toString(), "kv", "golden").ok();
        sender.vm("bundle", "create", thin.toString(), "kv", "--base", "golden").ok();
    }

    @AfterAll
    static void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    private static int receivers;

    private static Dom0Fixture receiver() {
        return new Dom0Fixture(dir.resolve("receiver-" + receivers++)).init();
    }

    @Test
    void aFullBundleRoundTripsAndItsSnapshotReplaysAndRuns() throws IOException {
        Dom0Fixture r = receiver();
        String verify = r.vm("bundle", "verify", full.toString()).ok().out();
        assertThat(verify).contains("refs/heads/kv").contains("refs/tags/golden").contains("3 snapshots");
        assertThat(refs(r)).doesNotContainKey("refs/heads/kv");  // verify imports nothing
        r.vm("bundle", "unbundle", full.toString()).ok();
        assertThat(refs(r).get("refs/heads/kv")).isEqualTo(refs(sender).get("refs/heads/kv"));
        assertThat(refs(r).get("refs/tags/golden")).isEqualTo(refs(sender).get("refs/tags/golden"));
        r.vm("fsck").ok();
        assertThat(r.vm("replay", "golden", "--verify").ok().out()).contains("identical");
        assertThat(r.vm("replay", "kv", "--verify").ok().out()).contains("identical");
        r.vm("instance", "add", "vm2", "golden").ok();
        Path in = r.dir.resolve("in");
        Files.writeString(in, "get b\n");
        assertThat(r.vm("run", "-i", "vm2", "--input", in.toString()).ok().out()).contains("7");
        // the same bundle again moves nothing and is fine
        r.vm("bundle", "unbundle", full.toString()).ok();
        String json = r.vm("--json", "bundle", "verify", full.toString()).ok().out();
        assertThat(Dom0Fixture.field(json, "ok")).isEqualTo("true");
        assertThat(Dom0Fixture.field(json, "newChunks")).isEqualTo("0");
    }

    @Test
    void aThinBundleOfAOnePercentUpdateIsSmallAndAppliesOnTheBase() throws IOException {
        long fullBytes = Files.size(full);
        long thinBytes = Files.size(thin);
        // 41 random pages (164 KiB, and as much again in the update's ReplayLog) against 8 MiB of random RAM
        // (twice: in the image and in the log of the mem writes that made it)
        assertThat(thinBytes).isLessThan(fullBytes / 20).isGreaterThan(41 * 4096);
        Dom0Fixture r = receiver();
        Path golden = dir.resolve("golden.bundle");
        sender.vm("bundle", "create", golden.toString(), "golden").ok();
        r.vm("bundle", "unbundle", golden.toString()).ok();
        r.vm("bundle", "verify", thin.toString()).ok();
        r.vm("bundle", "unbundle", thin.toString()).ok();
        assertThat(refs(r).get("refs/heads/kv")).isEqualTo(refs(sender).get("refs/heads/kv"));
        r.vm("fsck").ok();
        assertThat(r.vm("replay", "kv", "--verify").ok().out()).contains("identical");
    }

    @Test
    void anExistingRefMovesOnlyWithForce() throws IOException {
        Dom0Fixture r = receiver();
        Path golden = dir.resolve("golden-as-kv.bundle");
        sender.vm("branch", "old", "golden").ok();
        sender.vm("bundle", "create", golden.toString(), "old").ok();
        r.vm("bundle", "unbundle", golden.toString()).ok();
        r.vm("branch", "kv", "old").ok();
        Map<String, SnapshotId> before = refs(r);
        Map<String, Long> files = files(r);
        Dom0Fixture.Result refused = r.vm("bundle", "unbundle", full.toString());
        assertThat(refused.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(refused.err().strip()).startsWith("vmtree: refs/heads/kv is at").contains("--force").doesNotContain("\n");
        assertThat(refs(r)).isEqualTo(before);
        assertThat(files(r)).isEqualTo(files);
        assertThat(r.vm("audit").ok().out()).doesNotContain(" force ");   // refused: nothing moved, nothing forced
        SnapshotId was = refs(r).get("refs/heads/kv");
        r.vm("bundle", "unbundle", "--force", full.toString()).ok();
        assertThat(refs(r).get("refs/heads/kv")).isEqualTo(refs(sender).get("refs/heads/kv"));
        // the forced move is in the audit log, once: the tag the bundle also carries was new here, not moved
        String audit = r.vm("audit").ok().out();
        assertThat(audit.lines().filter(l -> l.contains(" force ")).toList()).singleElement().asString()
                .contains("unbundle " + full + " moved refs/heads/kv to " + refs(sender).get("refs/heads/kv").shortHex()
                        + " (was " + was.shortHex() + ")");
        String json = r.vm("--json", "audit").ok().out();
        assertThat(json).contains("\"op\":\"force\"").contains("\"outcome\":\"ok\"");
        // a forced unbundle that moves nothing records nothing
        r.vm("bundle", "unbundle", "--force", full.toString()).ok();
        assertThat(r.vm("audit").ok().out().lines().filter(l -> l.contains(" force ")).count()).isEqualTo(1);
    }

    @Test
    void aSignedTagTravelsWithItsSignature() throws Exception {
        java.security.KeyPair kp = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        Path key = dir.resolve("signer");
        try (var out = Files.newOutputStream(key)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "builder@example.org", null, out);
        }
        Path allowed = dir.resolve("allowed_signers");
        Files.writeString(allowed, "builder@example.org " + PublicKeyEntry.toString(kp.getPublic()) + "\n");
        sender.vm("config", "user.name", "Image Builder").ok();
        sender.vm("config", "user.email", "builder@example.org").ok();
        sender.vm("tag", "-s", "-m", "release 1", "--key", key.toString(), "v1", "golden").ok();
        sender.vm("verify", "--allowed-signers", allowed.toString(), "v1").ok();
        Path signed = dir.resolve("signed.bundle");
        sender.vm("bundle", "create", signed.toString(), "v1").ok();
        Dom0Fixture r = receiver();
        r.vm("bundle", "unbundle", signed.toString()).ok();
        assertThat(refs(r).get("refs/tags/v1")).isEqualTo(refs(sender).get("refs/tags/golden"));
        assertThat(r.vm("verify", "--allowed-signers", allowed.toString(), "v1").ok().out())
                .startsWith("good signature on refs/tags/v1 by builder@example.org");
        r.vm("fsck").ok();
    }

    @Test
    void aThinBundleWhoseBaseTheReceiverLacksIsRefused() throws IOException {
        rejected(thin, "which this repository lacks");
    }

    @Test
    void pathTraversalInAnEntryNameIsRefused() throws IOException {
        Map<String, byte[]> parts = parts(full);
        Map<String, byte[]> evil = new LinkedHashMap<>();
        parts.forEach((k, v) -> evil.put(k.equals("meta.bundle") ? "../../evil" : k, v));
        rejected(write(evil, Map.of()), "unexpected entry '../../evil'");
        assertThat(dir.resolve("evil")).doesNotExist();
        assertThat(dir.getParent().resolve("evil")).doesNotExist();
    }

    @Test
    void aForgedChunkIsRefused() throws IOException {
        Map<String, byte[]> parts = parts(full);
        byte[] pack = parts.get("chunks.pack");
        ByteBuffer bb = ByteBuffer.wrap(pack);
        // the first record: flip a payload byte and fix its CRC, so only the SHA-256 (or LZ4) can tell
        int stored = bb.getInt(16 + 8);
        int end = 16 + 44 + stored;
        pack[16 + 44 + stored / 2] ^= 0x5a;
        CRC32C crc = new CRC32C();
        crc.update(pack, 16, end - 16);
        bb.putInt(end, (int) crc.getValue());
        rejected(write(parts, Map.of()), "chunk ");
    }

    @Test
    void anEntryLargerThanDeclaredIsRefused() throws IOException {
        Map<String, byte[]> parts = parts(full);
        byte[] pack = parts.get("chunks.pack");
        parts.put("chunks.pack", java.util.Arrays.copyOf(pack, pack.length + 4096));
        rejected(write(parts, Map.of()), "entry chunks.pack is " + (pack.length + 4096) + " bytes, the header declares "
                + pack.length);
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        byte[] all = Files.readAllBytes(full);
        Path cut = dir.resolve("cut-" + System.nanoTime() + ".bundle");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
        rejected(cut, "truncated");
    }

    @Test
    void aDecompressionBombIsRefused() throws IOException {
        // one LZ4 record of 16 bytes that claims to expand to 16 MiB
        int raw = 16 << 20;
        ByteBuffer rec = ByteBuffer.allocate(44 + 16 + 4);
        byte[] id = new byte[32];
        new java.util.Random(1).nextBytes(id);
        rec.put((byte) 1).put((byte) 0).putShort((short) 44).putInt(raw).putInt(16).put(id).put(new byte[16]);
        CRC32C crc = new CRC32C();
        crc.update(rec.array(), 0, 44 + 16);
        rec.putInt((int) crc.getValue());
        ByteBuffer pack = ByteBuffer.allocate(16 + rec.capacity());
        pack.put("VMTREEPK".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(16).put(rec.array());
        ByteBuffer idx = ByteBuffer.allocate(40 + 48 + 4);
        idx.put("VMTREEIX".getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(40).putInt(48).putInt(0).putLong(1)
                .putLong(pack.capacity()).put(id).putLong(16).putInt(rec.capacity()).putInt(raw);
        crc = new CRC32C();
        crc.update(idx.array(), 0, 40 + 48);
        idx.putInt((int) crc.getValue());
        Map<String, byte[]> parts = parts(full);
        parts.put("chunks.pack", pack.array());
        parts.put("chunks.idx", idx.array());
        rejected(write(parts, Map.of("chunks", "1 " + raw)), "decompression bomb");
    }

    @Test
    void aRefPointingAtAMissingObjectIsRefused() throws IOException {
        Map<String, byte[]> parts = parts(full);
        String kv = refs(sender).get("refs/heads/kv").hex();
        String missing = "ab".repeat(20);
        byte[] meta = parts.get("meta.bundle");
        String head = new String(meta, 0, 200, StandardCharsets.ISO_8859_1);
        assertThat(head).contains(kv + " refs/heads/kv");
        int at = head.indexOf(kv + " refs/heads/kv");
        System.arraycopy(missing.getBytes(StandardCharsets.US_ASCII), 0, meta, at, 40);
        String header = new String(parts.get("vmtree-bundle"), StandardCharsets.UTF_8).replace(kv + " refs/heads/kv",
                missing + " refs/heads/kv");
        parts.put("vmtree-bundle", header.getBytes(StandardCharsets.UTF_8));
        rejected(write(parts, Map.of()), "bad bundle");
    }

    @Test
    void aHugeTarHeaderIsRefusedWithoutBufferingIt() throws IOException {
        // a GNU long-name record of 200 MiB in front of the header: Commons Compress would buffer it whole
        Map<String, byte[]> parts = parts(full);
        Path out = dir.resolve("long-name.bundle");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(out))) {
            TarArchiveEntry longName = new TarArchiveEntry("././@LongLink", TarConstants.LF_GNUTYPE_LONGNAME);
            longName.setSize(200L << 20);
            tar.putArchiveEntry(longName);
            byte[] x = new byte[1 << 20];
            java.util.Arrays.fill(x, (byte) 'x');
            for (int i = 0; i < 200; i++) {
                tar.write(x);
            }
            tar.closeArchiveEntry();
            for (var e : parts.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                te.setSize(e.getValue().length);
                tar.putArchiveEntry(te);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        rejected(out, "the tar headers before entry vmtree-bundle are larger than 64 KiB");
        Files.delete(out);
    }

    @Test
    void aBundleMissingAChunkItsSnapshotsNeedIsRefused() throws IOException {
        Map<String, byte[]> parts = parts(full);
        PackIndex idx = PackIndex.decode(parts.get("chunks.idx"));
        byte[] pack = parts.get("chunks.pack");
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        kept.write(pack, 0, 16);
        java.util.List<PackIndex.Entry> entries = new java.util.ArrayList<>();
        long raw = 0;
        for (int i = 1; i < idx.size(); i++) {           // entry 0 (the smallest id) is left out
            entries.add(new PackIndex.Entry(idx.id(i), kept.size(), idx.recordLength(i), idx.rawLength(i)));
            kept.write(pack, (int) idx.offset(i), idx.recordLength(i));
            raw += idx.rawLength(i);
        }
        parts.put("chunks.pack", kept.toByteArray());
        parts.put("chunks.idx", PackIndex.encode(entries.toArray(PackIndex.Entry[]::new), kept.size()));
        rejected(write(parts, Map.of("chunks", entries.size() + " " + raw)), "it lacks chunk " + idx.id(0).hex());
    }

    @Test
    void aBadBundleIsReportedInJson() throws IOException {
        byte[] all = Files.readAllBytes(full);
        Path cut = dir.resolve("cut-json.bundle");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 3000));
        Dom0Fixture.Result r = receiver().vm("--json", "bundle", "verify", cut.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(Dom0Fixture.field(r.out(), "ok")).isEqualTo("false");
        assertThat(Dom0Fixture.field(r.out(), "error")).startsWith("bad bundle ");
    }

    @Test
    void aForgedHeaderIsRefused() throws IOException {
        Map<String, byte[]> parts = parts(full);
        byte[] h = parts.get("vmtree-bundle");
        h[h.length - 3] ^= 1;     // a digit of the checksum
        rejected(write(parts, null), "header checksum mismatch");
    }

    /** Each hostile bundle: verify exits 1 and unbundle 4, each with one line, and the receiver is unchanged. */
    private void rejected(Path bundle, String why) throws IOException {
        Dom0Fixture r = receiver();
        Map<String, SnapshotId> before = refs(r);
        Map<String, Long> files = files(r);
        Dom0Fixture.Result v = r.vm("bundle", "verify", bundle.toString());
        assertThat(v.exit()).as(v.err()).isEqualTo(ExitCodes.FAILURE);
        assertThat(v.err().strip()).startsWith("vmtree: bad bundle").contains(why).doesNotContain("\n");
        Dom0Fixture.Result u = r.vm("bundle", "unbundle", bundle.toString());
        assertThat(u.exit()).as(u.err()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(u.err().strip()).startsWith("vmtree: bad bundle").contains(why).doesNotContain("\n");
        assertThat(refs(r)).isEqualTo(before);
        assertThat(files(r)).isEqualTo(files);
        r.vm("fsck").ok();
    }

    private static Map<String, SnapshotId> refs(Dom0Fixture f) {
        try (Repository repo = Repository.open(f.repo)) {
            return new TreeMap<>(repo.refs());
        }
    }

    /** Every file of the chunk store and meta.git with its size. */
    private static Map<String, Long> files(Dom0Fixture f) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        Path store = f.repo.resolve(".vmtree");
        for (String sub : new String[] {"chunks", "meta.git", "roots"}) {
            try (Stream<Path> s = Files.walk(store.resolve(sub))) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    out.put(store.relativize(p).toString(), Files.size(p));
                }
            }
        }
        return out;
    }

    private static Map<String, byte[]> parts(Path bundle) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(bundle); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                out.put(e.getName(), tar.readAllBytes());
            }
        }
        return out;
    }

    /**
     * Writes {@code parts} as a bundle; unless {@code header} is null, its header is rewritten to
     * declare the parts' sizes (and the given lines instead of its own) with a fresh checksum, so
     * only the fault under test is left.
     */
    private static Path write(Map<String, byte[]> parts, Map<String, String> header) throws IOException {
        if (header != null) {
            StringBuilder sb = new StringBuilder();
            for (String line : new String(parts.get("vmtree-bundle"), StandardCharsets.UTF_8).split("\n")) {
                String[] w = line.split(" ");
                if (w[0].equals("crc32c")) {
                    continue;
                } else if (header.containsKey(w[0])) {
                    sb.append(w[0]).append(' ').append(header.get(w[0]));
                } else if (w[0].equals("entry") && w[1].equals("chunks.idx") && parts.containsKey("chunks.idx")) {
                    sb.append("entry chunks.idx ").append(parts.get("chunks.idx").length);
                } else if (w[0].equals("entry") && w[1].equals("chunks.pack") && header.containsKey("chunks")) {
                    sb.append("entry chunks.pack ").append(parts.get("chunks.pack").length);
                } else {
                    sb.append(line);
                }
                sb.append('\n');
            }
            CRC32C crc = new CRC32C();
            crc.update(sb.toString().getBytes(StandardCharsets.UTF_8));
            sb.append(String.format("crc32c %08x%n", crc.getValue()));
            parts.put("vmtree-bundle", sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        Path out = dir.resolve("hostile-" + System.nanoTime() + ".bundle");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            for (var e : parts.entrySet()) {
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                te.setSize(e.getValue().length);
                tar.putArchiveEntry(te);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        Files.write(out, bytes.toByteArray());
        return out;
    }
}
