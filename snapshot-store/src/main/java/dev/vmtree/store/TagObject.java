package dev.vmtree.store;

import java.util.Arrays;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevTag;

/**
 * An annotated tag object in {@code meta.git}, read and hash-checked against its id: the snapshot
 * it names, its tagger line and message, the exact bytes a signature covers ({@code payload}) and the
 * armored signature appended to them (null when unsigned). Format in docs/format.md ("Signed tags").
 */
public record TagObject(String id, String name, SnapshotId target, String tagger, String message, byte[] payload,
                        byte[] signature) {
    /** Largest tag object read: a message and a signature, never an image. */
    static final int MAX_BYTES = 1 << 20;

    public TagObject {
        payload = payload.clone();
        signature = signature == null ? null : signature.clone();
    }

    public boolean signed() {
        return signature != null;
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public byte[] signature() {
        return signature == null ? null : signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TagObject t && t.id.equals(id) && Arrays.equals(t.payload, payload)
                && Arrays.equals(t.signature, signature);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    /**
     * Decodes the bytes of tag object {@code id}, which {@code ref} names (both only for messages).
     * The bytes are checked first, as Git's fsck checks a tag (JGit's {@link ObjectChecker}), so the
     * parse after it only ever sees a well-formed object; anything else, or a tag of something other
     * than a commit, or a signature that does not end the object, is a {@link DamagedObjectException}.
     * Hostile bytes reach here in a bundle or a fetch: this is the whole parser they meet.
     */
    static TagObject parse(String id, String ref, byte[] raw) {
        String what = "tag object " + id + " of " + ref;
        if (raw.length > MAX_BYTES) {
            throw new DamagedObjectException(what + " is " + raw.length + " bytes, more than a tag may be");
        }
        RevTag t;
        try {
            new ObjectChecker().checkTag(raw);
            t = RevTag.parse(raw);
        } catch (CorruptObjectException e) {
            throw new DamagedObjectException(what + " is malformed: " + e.getMessage(), e);
        } catch (IndexOutOfBoundsException e) {
            // JGit's checker reads past the end of some truncated objects ("object <id>" and nothing
            // more), and passes others its parser then reads past ("tag " without its newline), both
            // found by TagObjectFuzzTest: malformed input, not a fault of ours. Only these two JGit
            // calls are inside this try; anything thrown by our own code below is not caught.
            throw new DamagedObjectException(what + " is malformed: it ends inside a header line", e);
        }
        if (t.getObject().getType() != Constants.OBJ_COMMIT) {
            throw new DamagedObjectException(what + " names a " + Constants.typeString(t.getObject().getType())
                    + ", not a snapshot");
        }
        byte[] sig = t.getRawGpgSignature();
        byte[] payload = raw;
        if (sig != null) {
            // Git appends the signature to the object: what it signed is everything before it.
            int start = raw.length - sig.length;
            if (start < 0 || !Arrays.equals(raw, start, raw.length, sig, 0, sig.length)) {
                throw new DamagedObjectException(what + " has a signature that does not end it");
            }
            payload = Arrays.copyOf(raw, start);
        }
        String tagger;
        try {
            PersonIdent who = t.getTaggerIdent();
            tagger = who == null ? "" : who.toExternalString();
        } catch (java.time.DateTimeException | ArithmeticException e) {
            // ObjectChecker takes any digits as the time; JGit then makes an Instant of them, and its
            // text of the milliseconds (both found by TagObjectFuzzTest)
            throw new DamagedObjectException(what + " is malformed: its tagger's time is out of range", e);
        }
        return new TagObject(id, t.getTagName(), new SnapshotId(t.getObject().name()),
                tagger, t.getFullMessage(), payload, sig);
    }
}
