package dev.vmtree.dom0;

import dev.vmtree.store.TagObject;
import dev.vmtree.store.TagSigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.GpgConfig;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.SignatureVerifier;
import org.eclipse.jgit.lib.SignatureVerifiers;
import org.eclipse.jgit.lib.Signers;

/**
 * SSH signatures of tag objects through JGit's {@code org.eclipse.jgit.ssh.apache} signer and
 * verifier: the sshsig format of {@code ssh-keygen -Y sign}, namespace "git", SHA-512, exactly as
 * {@code git tag -s} with {@code gpg.format=ssh} makes them, so {@code git verify-tag} and
 * {@code ssh-keygen -Y verify} accept them too. Trust is an allowed-signers file (ssh-keygen's
 * ALLOWED SIGNERS format) whose principal must be the tagger's e-mail. Stateless; thread-safe.
 */
public final class TagSignatures {
    private TagSignatures() {}

    /** What verification found: whether the signature is good and trusted, who signed, and why not. */
    public record Verification(boolean good, String signer, String fingerprint, String reason) {}

    /** A signer with the private key in {@code keyFile} for tagger {@code who}; FAILED when the key cannot be used. */
    public static TagSigner signer(Path keyFile, String name, String email) {
        Path key = keyFile.toAbsolutePath();
        if (!Files.isRegularFile(key)) {
            throw ToolstackException.failed("signing key " + key + " does not exist or is not a file");
        }
        GpgConfig gpg = config(key.toString(), null);
        return payload -> {
            try {
                // No repository: every path is absolute, so JGit needs none (it would only resolve relative ones).
                return Signers.get(GpgConfig.GpgFormat.SSH).sign(null, gpg, payload, new PersonIdent(name, email),
                        key.toString(), null).toExternalString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            } catch (Exception e) {
                throw ToolstackException.failed("cannot sign with " + key + ": " + oneLine(e));
            }
        };
    }

    /** Checks {@code tag}'s signature against {@code allowedSigners}; never throws for a bad signature. */
    public static Verification verify(TagObject tag, Path allowedSigners) {
        Path allowed = allowedSigners.toAbsolutePath();
        if (!Files.isRegularFile(allowed)) {
            throw ToolstackException.failed("allowed-signers file " + allowed + " does not exist or is not a file");
        }
        if (!tag.signed()) {
            return new Verification(false, null, null, "tag '" + tag.name() + "' is not signed");
        }
        if (SignatureVerifiers.getFormat(tag.signature()) != GpgConfig.GpgFormat.SSH) {
            return new Verification(false, null, null, "tag '" + tag.name() + "' has a signature that is not an SSH"
                    + " signature (vmtree verifies only gpg.format=ssh)");
        }
        try {
            SignatureVerifier.SignatureVerification v = SignatureVerifiers.verify(null, config(null, allowed.toString()),
                    tag.payload(), tag.signature());
            if (v == null) {
                return new Verification(false, null, null, "no SSH signature verifier is available");
            }
            if (!v.verified() && v.message() != null && v.message().contains("principal")) {
                // JGit looks the key up in the allowed-signers file before checking the signature with it
                return new Verification(false, v.keyUser(), v.keyFingerprint(), "unknown signer: tag '" + tag.name()
                        + "' is signed by key " + v.keyFingerprint() + ", which " + allowed + " does not allow for its"
                        + " tagger (" + v.message() + ")");
            }
            if (!v.verified()) {
                return new Verification(false, v.keyUser(), v.keyFingerprint(), "bad signature on tag '" + tag.name()
                        + "'" + (v.message() == null ? "" : ": " + v.message()));
            }
            if (v.trustLevel() != SignatureVerifier.TrustLevel.FULL && v.trustLevel() != SignatureVerifier.TrustLevel.ULTIMATE) {
                return new Verification(false, v.keyUser(), v.keyFingerprint(), "tag '" + tag.name()
                        + "' is signed by a key " + allowed + " does not trust"
                        + (v.message() == null ? "" : ": " + v.message()));
            }
            return new Verification(true, v.keyUser(), v.keyFingerprint(), null);
        } catch (IOException | RuntimeException e) {
            return new Verification(false, null, null, "bad signature on tag '" + tag.name() + "': " + oneLine(e));
        }
    }

    private static GpgConfig config(String key, String allowedSigners) {
        Config c = new Config();
        c.setString("gpg", null, "format", "ssh");
        if (key != null) {
            c.setString("user", null, "signingKey", key);
        }
        if (allowedSigners != null) {
            c.setString("gpg", "ssh", "allowedSignersFile", allowedSigners);
        }
        return new GpgConfig(c);
    }

    private static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                + (t != e && t.getMessage() != null ? " (" + t.getMessage() + ")" : "");
        return m.replace('\n', ' ');
    }
}
