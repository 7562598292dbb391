package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.TagObject;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, signed tags: `vmtree tag -s` and `vmtree verify` with SSH keys made at test time
 * (Ed25519, written in OpenSSH's format: test-only, never committed), tampering of every kind
 * rejected, a damaged chunk under a signed tag found, and protected refs.
 */
class SignedTagsTest {
    private static final String EMAIL = "builder@example.org";

    @TempDir
    Path dir;

    Dom0Fixture f;
    Path key;
    Path allowed;
    String golden;

    @BeforeEach
    void repositoryWithAnImage() throws Exception {
        f = new Dom0Fixture(dir).init();
        golden = f.vm("store", "put", image(30).toString(), "--branch", "golden").ok().out().trim();
        key = writeKey("signer", EMAIL);
        allowed = dir.resolve("allowed_signers");
        Files.writeString(allowed, EMAIL + " " + Files.readString(key.resolveSibling("signer.pub")));
        f.vm("config", "user.name", "Image Builder").ok();
        f.vm("config", "user.email", EMAIL).ok();
    }

    @AfterEach
    void forget() {
        System.clearProperty("vmtree.config.home");
    }

    @Test
    void aSignedTagIsVerifiedWithItsSignerAndEveryChunk() {
        assertThat(f.vm("tag", "-s", "-m", "release 1", "--key", key.toString(), "v1", "golden").ok().out())
                .startsWith("signed tag v1 at " + golden.substring(0, 12));
        // the tag names the snapshot, like any tag: revisions, tag -l and fsck see the commit through the tag object
        assertThat(f.vm("tag").ok().out()).contains("v1").contains(golden.substring(0, 12));
        assertThat(f.vm("--json", "branch", "from-tag", "v1").ok().out()).contains(golden);
        f.vm("fsck").ok();
        Dom0Fixture.Result v = f.vm("verify", "--allowed-signers", allowed.toString(), "v1").ok();
        assertThat(v.out()).startsWith("good signature on refs/tags/v1 by " + EMAIL + " (SHA256:").contains("chunks verified");
        String json = f.vm("--json", "verify", "--allowed-signers", allowed.toString(), "v1").ok().out();
        assertThat(Dom0Fixture.field(json, "good")).isEqualTo("true");
        assertThat(Dom0Fixture.field(json, "target")).isEqualTo(golden);
        assertThat(Long.parseLong(Dom0Fixture.field(json, "chunks"))).isGreaterThan(10);
    }

    @Test
    void theKeyAndAllowedSignersComeFromTheConfigurationAndTheirAbsenceIsOneLine() {
        Dom0Fixture.Result none = f.vm("tag", "-s", "v1", "golden");
        assertThat(none.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(none.err()).isEqualTo("vmtree: no signing key: pass --key FILE or set one with `vmtree config"
                + " user.signingKey PATH` (a private SSH key file)\n");
        f.vm("config", "user.signingKey", key.toString()).ok();
        f.vm("tag", "-s", "v1", "golden").ok();
        Dom0Fixture.Result noAllowed = f.vm("verify", "v1");
        assertThat(noAllowed.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(noAllowed.err()).startsWith("vmtree: no allowed-signers file").hasLineCount(1);
        f.vm("config", "gpg.ssh.allowedSignersFile", allowed.toString()).ok();
        f.vm("verify", "v1").ok();
    }

    @Test
    void anUnsignedTagOrABranchIsNotVerified() {
        f.vm("tag", "plain", "golden").ok();
        Dom0Fixture.Result r = f.vm("verify", "--allowed-signers", allowed.toString(), "plain");
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).isEqualTo("vmtree: 'plain' is not a signed tag (make one with `vmtree tag -s NAME REF`)\n");
        assertThat(f.vm("verify", "--allowed-signers", allowed.toString(), "refs/heads/golden").exit())
                .isEqualTo(ExitCodes.FAILURE);
    }

    @Test
    void aSignerNotInTheAllowedFileIsRejected() throws Exception {
        Path other = writeKey("stranger", "stranger@example.org");
        f.vm("tag", "-s", "--key", other.toString(), "v1", "golden").ok();
        Dom0Fixture.Result r = f.vm("verify", "--allowed-signers", allowed.toString(), "v1");
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).startsWith("vmtree: unknown signer: tag 'v1' is signed by key SHA256:")
                .contains(allowed.toString()).hasLineCount(1);
    }

    @Test
    void anEditedTagObjectIsRejected() throws Exception {
        f.vm("tag", "-s", "-m", "release 1", "--key", key.toString(), "v1", "golden").ok();
        TagObject t = tag("refs/tags/v1");
        // the same signature over a message changed by one word: a valid object, a bad signature
        byte[] edited = concat(new String(t.payload(), StandardCharsets.UTF_8).replace("release 1", "release 2")
                .getBytes(StandardCharsets.UTF_8), t.signature());
        repoint("refs/tags/v1", edited);
        assertRejected("v1", "bad signature on tag 'v1'");
    }

    @Test
    void aFlippedSignatureByteIsRejected() throws Exception {
        f.vm("tag", "-s", "--key", key.toString(), "v1", "golden").ok();
        TagObject t = tag("refs/tags/v1");
        byte[] sig = t.signature();
        int i = new String(sig, StandardCharsets.US_ASCII).indexOf('\n') + 40;  // inside the base64 body
        sig[i] = (byte) (sig[i] == 'A' ? 'B' : 'A');
        repoint("refs/tags/v1", concat(t.payload(), sig));
        assertRejected("v1", "bad signature on tag 'v1'");
    }

    @Test
    void aTagObjectDamagedOnDiskIsRejected() throws Exception {
        f.vm("tag", "-s", "--key", key.toString(), "v1", "golden").ok();
        TagObject t = tag("refs/tags/v1");
        // the loose object's file holds other (valid, compressed) content: its hash no longer matches its name
        Path loose = f.repo.resolve(".vmtree/meta.git/objects").resolve(t.id().substring(0, 2)).resolve(t.id().substring(2));
        byte[] other = concat(new String(t.payload(), StandardCharsets.UTF_8).replace("vmtree tag v1", "vmtree tag v2")
                .getBytes(StandardCharsets.UTF_8), t.signature());
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (var out = new java.util.zip.DeflaterOutputStream(z)) {
            out.write(("tag " + other.length + "\0").getBytes(StandardCharsets.US_ASCII));
            out.write(other);
        }
        loose.toFile().setWritable(true);
        Files.write(loose, z.toByteArray());
        assertRejected("v1", "damaged tag 'v1'");
    }

    @Test
    void aDamagedChunkUnderASignedTagFailsVerification() throws Exception {
        f.vm("tag", "-s", "--key", key.toString(), "v1", "golden").ok();
        Path pack;
        try (Stream<Path> s = Files.list(f.repo.resolve(".vmtree/chunks"))) {
            pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
        }
        try (RandomAccessFile file = new RandomAccessFile(pack.toFile(), "rw")) {
            file.seek(200);
            int v = file.read();
            file.seek(200);
            file.write(v ^ 1);
        }
        Dom0Fixture.Result r = f.vm("verify", "--allowed-signers", allowed.toString(), "v1");
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).startsWith("vmtree: refs/tags/v1: chunk ").hasLineCount(1);
        assertThat(Dom0Fixture.field(f.vm("--json", "verify", "--allowed-signers", allowed.toString(), "v1").out(),
                "signatureGood")).isEqualTo("true");
    }

    @Test
    void sshKeygenAcceptsTheSignature() throws Exception {
        assumeTrue(onPath("ssh-keygen"), "ssh-keygen is not installed: interoperability not checked");
        f.vm("tag", "-s", "--key", key.toString(), "v1", "golden").ok();
        TagObject t = tag("refs/tags/v1");
        Path sig = Files.write(dir.resolve("v1.sig"), t.signature());
        Path payload = Files.write(dir.resolve("v1.payload"), t.payload());
        Process p = new ProcessBuilder("ssh-keygen", "-Y", "verify", "-f", allowed.toString(), "-I", EMAIL, "-n", "git",
                "-s", sig.toString()).redirectInput(payload.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("Good \"git\" signature for " + EMAIL);
        // and a changed payload is refused by ssh-keygen as well
        Files.write(payload, concat(t.payload(), "x".getBytes(StandardCharsets.US_ASCII)));
        Process bad = new ProcessBuilder("ssh-keygen", "-Y", "verify", "-f", allowed.toString(), "-I", EMAIL, "-n", "git",
                "-s", sig.toString()).redirectInput(payload.toFile()).redirectErrorStream(true).start();
        bad.getInputStream().readAllBytes();
        assertThat(bad.waitFor()).isNotZero();
    }

    @Test
    void protectedRefsAreNotChangedWithoutForceAndForcedChangesAreAudited() {
        SnapshotId a = f.snapshot(null, "main", "first");
        SnapshotId b = f.snapshot(a, "main", "second");
        f.vm("instance", "add", "vm1", "main").ok();
        f.vm("branch", "release", "main").ok();
        f.vm("tag", "golden-1", "main").ok();
        f.vm("config", "refs.protect", "heads/main heads/release tags/golden-*").ok();

        Dom0Fixture.Result del = f.vm("branch", "-D", "release");
        assertThat(del.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(del.err()).isEqualTo("vmtree: branch 'release' is protected (refs.protect); it is deleted only with"
                + " --force, which the audit log records\n");
        assertThat(f.vm("branch", "-m", "release", "renamed").exit()).isEqualTo(ExitCodes.FAILURE);
        Dom0Fixture.Result back = f.vm("rollback");
        assertThat(back.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(back.err()).contains("branch 'main' is protected");
        assertThat(f.vm("tag", "-d", "golden-1").err()).contains("protected (refs.protect)");
        assertThat(f.vm("--json", "branch").ok().out()).contains("\"name\":\"main\",\"head\":\"" + b.hex())
                .contains("\"name\":\"release\"");
        // a commit moves main forward: allowed (docs/cli.md); an unprotected branch is as before
        f.vm("branch", "scratch", "main").ok();
        f.vm("branch", "-D", "scratch").ok();

        f.vm("rollback", "--force").ok();
        f.vm("branch", "--force", "-m", "release", "renamed").ok();
        f.vm("branch", "--force", "-D", "renamed").ok();
        f.vm("tag", "-d", "--force", "golden-1").ok();
        assertThat(f.vm("--json", "branch").ok().out()).contains("\"name\":\"main\",\"head\":\"" + a.hex())
                .doesNotContain("release").doesNotContain("renamed");
        String audit = f.vm("audit").ok().out();
        assertThat(audit).contains("rolled protected branch main back to " + a.shortHex() + " (was " + b.shortHex() + ")")
                .contains("renamed protected branch release to renamed")
                .contains("deleted tag golden-1");
        assertThat(audit.lines().filter(l -> l.contains(" force ")).count()).isEqualTo(3);
        assertThat(f.vm("config", "refs.protect", "main").exit()).isEqualTo(ExitCodes.USAGE);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void assertRejected(String tag, String reason) {
        Dom0Fixture.Result r = f.vm("verify", "--allowed-signers", allowed.toString(), tag);
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).startsWith("vmtree: ").contains(reason).hasLineCount(1);
        assertThat(f.vm("--json", "verify", "--allowed-signers", allowed.toString(), tag).out()).contains("\"good\":false");
    }

    private TagObject tag(String ref) {
        try (Repository r = Repository.open(f.repo)) {
            return r.readTag(ref).orElseThrow();
        }
    }

    /** Writes {@code raw} as a new tag object (a valid object, hashed afresh) and points {@code ref} at it. */
    private void repoint(String ref, byte[] raw) throws Exception {
        try (var git = new FileRepositoryBuilder().setGitDir(f.repo.resolve(".vmtree/meta.git").toFile()).build();
             ObjectInserter ins = git.newObjectInserter()) {
            ObjectId id = ins.insert(Constants.OBJ_TAG, raw);
            ins.flush();
            RefUpdate u = git.updateRef(ref);
            u.setNewObjectId(id);
            u.setForceUpdate(true);
            assertThat(u.update()).isEqualTo(RefUpdate.Result.FORCED);
        }
    }

    /** A fresh Ed25519 key pair in OpenSSH's files NAME and NAME.pub (test-only, made now). */
    private Path writeKey(String name, String comment) throws Exception {
        KeyPair kp = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        Path priv = dir.resolve(name);
        try (var out = Files.newOutputStream(priv)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, comment, null, out);
        }
        Files.writeString(dir.resolve(name + ".pub"), PublicKeyEntry.toString(kp.getPublic()) + " " + comment + "\n");
        return priv;
    }

    private Path image(int pages) throws Exception {
        byte[] data = new byte[pages * 4096];
        new Random(16).nextBytes(data);
        return Files.write(dir.resolve("disk.img"), data);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
