package dev.vmtree.dom0;

import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.store.Bundle;
import dev.vmtree.store.FsckReport;
import dev.vmtree.store.RefResult;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.TagObject;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Branches and tags, with Dom0's policy on top of the store's atomic ref moves: a branch an
 * instance is on cannot be deleted, a branch whose snapshots nothing else reaches is deleted only
 * with force, and tags are golden images: never moved, deleted only with force. Refs matching
 * {@code refs.protect} ({@link ProtectedRefs}) are not deleted, renamed or moved backwards without
 * force, and every forced change of a protected ref or a tag, and every ref a forced unbundle moves,
 * is recorded in the audit log. Every
 * move is logged in the ref's reflog. Signed tags and {@link #verify} are in docs/security.md.
 * Threading: as {@link Toolstack}.
 */
public final class Refs {
    public static final String HEADS = "refs/heads/";
    public static final String TAGS = "refs/tags/";

    private final Toolstack ts;

    Refs(Toolstack ts) {
        this.ts = ts;
    }

    /** A branch, its head, and the instances on it. */
    public record Branch(String name, SnapshotId head, List<String> instances) {}

    /** A tag and the snapshot it names. */
    public record Tag(String name, SnapshotId target) {}

    /** Every branch and the instances on it (a damaged record is on none: {@link Instances#scan} tells of it). */
    public List<Branch> branches() {
        List<InstanceRecord> all = ts.instances().scan().sound();
        List<Branch> out = new ArrayList<>();
        for (var e : ts.repository().refs().entrySet()) {
            if (e.getKey().startsWith(HEADS)) {
                String name = e.getKey().substring(HEADS.length());
                out.add(new Branch(name, e.getValue(),
                        all.stream().filter(r -> name.equals(r.branch())).map(InstanceRecord::name).toList()));
            }
        }
        return out;
    }

    public List<Tag> tags() {
        List<Tag> out = new ArrayList<>();
        for (var e : ts.repository().refs().entrySet()) {
            if (e.getKey().startsWith(TAGS)) {
                out.add(new Tag(e.getKey().substring(TAGS.length()), e.getValue()));
            }
        }
        return out;
    }

    public Optional<SnapshotId> branchHead(String name) {
        return Optional.ofNullable(ts.repository().refs().get(HEADS + checkName("branch", name)));
    }

    public Optional<SnapshotId> tagTarget(String name) {
        return Optional.ofNullable(ts.repository().refs().get(TAGS + checkName("tag", name)));
    }

    /** Creates branch {@code name} at revision {@code start} (null: the current instance's base). */
    public Branch createBranch(String name, String start) {
        checkName("branch", name);
        SnapshotId at = ts.resolve(start == null ? "HEAD" : start);
        try (WriteTransaction tx = ts.beginWrite()) {
            RefResult r = tx.updateRef(HEADS + name, null, at, "branch: created from " + (start == null ? "HEAD" : start));
            if (!r.ok()) {
                throw ToolstackException.failed(ts.repository().refs().containsKey(HEADS + name)
                        ? "branch '" + name + "' already exists" : "cannot create branch '" + name + "' (" + r.status() + ")");
            }
        }
        return new Branch(name, at, List.of());
    }

    /**
     * Deletes a branch. Refused while an instance is on it (even with force: move the instance
     * first), and without {@code force} when no other branch, tag or instance reaches its head.
     */
    public SnapshotId deleteBranch(String name, boolean force) {
        return deleteBranch(name, force, false);
    }

    /** As above; a protected branch ({@code refs.protect}) is deleted only with {@code overrideProtection}. */
    public SnapshotId deleteBranch(String name, boolean force, boolean overrideProtection) {
        SnapshotId head = branchHead(name).orElseThrow(() -> ToolstackException.failed("no branch '" + name + "'"));
        boolean guarded = guard(HEADS + name, overrideProtection, "deleted");
        try (WriteTransaction tx = ts.beginWrite()) {
            // under the writer lock: an instance that checks the branch out meanwhile is seen, not left on nothing
            List<String> on = ts.instances().list().stream().filter(r -> name.equals(r.branch()))
                    .map(InstanceRecord::name).toList();
            if (!on.isEmpty()) {
                throw ToolstackException.failed("branch '" + name + "' is in use by instance " + String.join(", ", on)
                        + "; check out another branch there or remove the instance first");
            }
            if (!force && !reachedElsewhere(HEADS + name, head)) {
                throw ToolstackException.failed("branch '" + name + "' has snapshots no other branch, tag or instance"
                        + " reaches; delete it with --force (they stay in the reflog of nothing and go at the next gc)");
            }
            RefResult r = tx.updateRef(HEADS + name, head, null, "branch: deleted");
            if (!r.ok()) {
                throw ToolstackException.failed("branch '" + name + "' moved meanwhile; try again");
            }
        }
        if (guarded) {
            forced("deleted protected branch " + name + " (was " + head.shortHex() + ")");
        }
        return head;
    }

    /**
     * Renames a branch, keeping its whole reflog (git's {@code branch -m}), and moves every instance
     * on it to the new name. In order: the new name is created with a copy of the old reflog plus a
     * "renamed" entry, the instances are rewritten, the old name is deleted. A crash in between
     * leaves both names (each with the full log), never a lost entry.
     */
    public void renameBranch(String from, String to) {
        renameBranch(from, to, false);
    }

    /** As {@link #renameBranch(String, String)}; a protected {@code from} is renamed only with {@code force}. */
    public void renameBranch(String from, String to, boolean force) {
        SnapshotId head = startOfCopy(from, to);
        boolean guarded = guard(HEADS + from, force, "renamed");
        try (WriteTransaction tx = ts.beginWrite()) {
            List<InstanceRecord> on = ts.instances().list().stream().filter(r -> from.equals(r.branch())).toList();
            copy(tx, from, to, head, "branch: renamed " + from + " to " + to);
            for (InstanceRecord r : on) {
                ts.instances().save(tx, r.withBranch(to));
            }
            if (!tx.updateRef(HEADS + from, head, null, "branch: renamed " + from + " to " + to).ok()) {
                throw ToolstackException.failed("branch '" + from + "' moved meanwhile; both names now exist");
            }
        }
        if (guarded) {
            forced("renamed protected branch " + from + " to " + to + " at " + head.shortHex());
        }
    }

    /**
     * Copies a branch with its whole reflog (git's {@code branch -c}); the instances on it stay on
     * the old name. Returns the head both now point at.
     */
    public SnapshotId copyBranch(String from, String to) {
        SnapshotId head = startOfCopy(from, to);
        try (WriteTransaction tx = ts.beginWrite()) {
            copy(tx, from, to, head, "branch: copied " + from + " to " + to);
        }
        return head;
    }

    private SnapshotId startOfCopy(String from, String to) {
        checkName("branch", to);
        SnapshotId head = branchHead(from).orElseThrow(() -> ToolstackException.failed("no branch '" + from + "'"));
        if (branchHead(to).isPresent()) {
            throw ToolstackException.failed("branch '" + to + "' already exists");
        }
        return head;
    }

    private void copy(WriteTransaction tx, String from, String to, SnapshotId head, String message) {
        RefResult r = tx.copyRef(HEADS + from, HEADS + to, head, message);
        if (r.status() == RefResult.Status.REJECTED) {
            throw ToolstackException.failed("cannot name a branch '" + to + "': it clashes with an existing branch"
                    + " (a branch 'a' and a branch 'a/b' cannot both exist)");
        }
        if (!r.ok()) {
            throw ToolstackException.failed("branch '" + to + "' already exists");
        }
    }

    /** Tags a snapshot as a golden image. An existing tag is never moved. */
    public Tag createTag(String name, String rev) {
        checkName("tag", name);
        SnapshotId at = ts.resolve(rev == null ? "HEAD" : rev);
        try (WriteTransaction tx = ts.beginWrite()) {
            RefResult r = tx.updateRef(TAGS + name, null, at, "tag: " + (rev == null ? "HEAD" : rev));
            if (!r.ok()) {
                throw ToolstackException.failed(tagTarget(name).isPresent()
                        ? "tag '" + name + "' already exists (tags are golden images and never move; delete it with"
                          + " `vmtree tag -d --force " + name + "` first)"
                        : "cannot create tag '" + name + "' (" + r.status() + ")");
            }
        }
        return new Tag(name, at);
    }

    /**
     * Deletes a tag; only with {@code force}, because a tag is a golden image someone may ship. The
     * forced deletion is recorded in the audit log.
     */
    public SnapshotId deleteTag(String name, boolean force) {
        SnapshotId at = tagTarget(name).orElseThrow(() -> ToolstackException.failed("no tag '" + name + "'"));
        if (!force) {
            throw ToolstackException.failed("tag '" + name + "' is a golden image"
                    + (protectedRefs().protects(TAGS + name) ? " and protected (" + ProtectedRefs.SETTING + ")" : "")
                    + "; delete it with --force");
        }
        try (WriteTransaction tx = ts.beginWrite()) {
            if (!tx.updateRef(TAGS + name, at, null, "tag: deleted").ok()) {
                throw ToolstackException.failed("tag '" + name + "' changed meanwhile; try again");
            }
        }
        forced("deleted tag " + name + " (was " + at.shortHex() + ")");
        return at;
    }

    /**
     * Makes a signed tag: an annotated tag object naming {@code rev} (null: HEAD) with
     * {@code message}, tagger user.name and user.email, signed with the SSH private key in
     * {@code key} (null: setting user.signingKey). An existing tag is never moved.
     */
    public Tag createSignedTag(String name, String rev, String message, Path key) {
        checkName("tag", name);
        Path keyFile = key != null ? key : ts.settings().get(Settings.SIGNING_KEY).map(Path::of).orElseThrow(() ->
                ToolstackException.failed("no signing key: pass --key FILE or set one with `vmtree config "
                        + Settings.SIGNING_KEY + " PATH` (a private SSH key file)"));
        Settings.Author who = ts.settings().author();
        if (who.email().isEmpty()) {
            throw ToolstackException.failed("a signed tag names its tagger by e-mail (the allowed-signers principal):"
                    + " set it with `vmtree config user.email ADDRESS`");
        }
        SnapshotId at = ts.resolve(rev == null ? "HEAD" : rev);
        var signer = TagSignatures.signer(keyFile, who.name().isEmpty() ? who.email() : who.name(), who.email());
        try (WriteTransaction tx = ts.beginWrite()) {
            RefResult r = tx.createAnnotatedTag(TAGS + name, at, who.name().isEmpty() ? who.email() : who.name(),
                    who.email(), message == null || message.isBlank() ? "vmtree tag " + name : message, signer,
                    "tag: signed " + (rev == null ? "HEAD" : rev));
            if (!r.ok()) {
                throw ToolstackException.failed(tagTarget(name).isPresent()
                        ? "tag '" + name + "' already exists (tags are golden images and never move; delete it with"
                          + " `vmtree tag -d --force " + name + "` first)"
                        : "cannot create tag '" + name + "' (" + r.status() + ")");
            }
        }
        return new Tag(name, at);
    }

    /**
     * What {@link #verify} found: the ref, its snapshot, the signature's verdict and the store's
     * check of every Git object and chunk the snapshot reaches. {@link #good()} when both pass.
     */
    public record Verified(String ref, SnapshotId target, TagSignatures.Verification signature, FsckReport content) {
        public boolean good() {
            return signature.good() && content.ok();
        }

        /** The one-line reason it is not good; null when it is. */
        public String reason() {
            if (!signature.good()) {
                return signature.reason();
            }
            return content.ok() ? null : ref + ": " + content.problems().getFirst()
                    + (content.problems().size() > 1 ? " (and " + (content.problems().size() - 1) + " more)" : "");
        }
    }

    /**
     * Verifies signed tag {@code ref} (a tag name or full ref) against the allowed-signers file
     * {@code allowedSigners} (null: setting gpg.ssh.allowedSignersFile), then every Git object and
     * chunk reachable from its snapshot. A damaged tag object is a bad signature, not an exception.
     */
    public Verified verify(String ref, Path allowedSigners) {
        String full = ref.startsWith("refs/") ? ref : TAGS + checkName("tag", ref);
        Path allowed = allowedSigners != null ? allowedSigners : ts.settings().get(Settings.ALLOWED_SIGNERS).map(Path::of)
                .orElseThrow(() -> ToolstackException.failed("no allowed-signers file: pass --allowed-signers FILE or"
                        + " set one with `vmtree config " + Settings.ALLOWED_SIGNERS + " PATH`"));
        SnapshotId target = ts.repository().refs().get(full);
        if (target == null) {
            throw ToolstackException.failed("no tag '" + ref + "'");
        }
        Optional<TagObject> tag;
        try {
            tag = ts.repository().readTag(full);
        } catch (dev.vmtree.store.StoreException e) {
            return new Verified(full, target, new TagSignatures.Verification(false, null, null,
                    "damaged tag '" + ref + "': " + e.getMessage()), ts.repository().fsck(target, full));
        }
        if (tag.isEmpty()) {
            throw ToolstackException.failed("'" + ref + "' is not a signed tag (make one with `vmtree tag -s NAME REF`)");
        }
        TagSignatures.Verification v = TagSignatures.verify(tag.get(), allowed);
        return new Verified(full, tag.get().target(), v, ts.repository().fsck(tag.get().target(), full));
    }

    /**
     * Imports bundle {@code file} ({@link Bundle#read}, docs/format.md "Bundle"): creates its branches
     * and tags, and moves one that exists here at another snapshot only with {@code force}. Each ref so
     * moved is a forced change and is recorded in the audit log, as a forced rollback is. Throws
     * {@link dev.vmtree.store.BundleException} or {@link Bundle.RefusedException} with nothing changed.
     */
    public Bundle.Summary unbundle(Path file, boolean force) {
        Bundle.Summary s = Bundle.read(ts.repository(), file, true, force, Toolstack.LOCK_TIMEOUT, ts::notice);
        for (Bundle.RefChange c : s.refs()) {
            if (c.moves()) {
                forced("unbundle " + file + " moved " + c.name() + " to " + c.bundled().shortHex()
                        + " (was " + c.here().shortHex() + ")");
            }
        }
        return s;
    }

    /** The patterns of {@code refs.protect}. */
    public ProtectedRefs protectedRefs() {
        return ts.settings().protectedRefs();
    }

    /**
     * Refuses to change protected ref {@code ref} without {@code force}; true when it is protected
     * (and forced), so the caller records the change with {@link #forced} once it is done.
     */
    boolean guard(String ref, boolean force, String what) {
        if (!protectedRefs().protects(ref)) {
            return false;
        }
        if (!force) {
            String kind = ref.startsWith(TAGS) ? "tag" : "branch";
            throw ToolstackException.failed(kind + " '" + ref.substring(ref.indexOf('/', 5) + 1) + "' is protected ("
                    + ProtectedRefs.SETTING + "); it is " + what + " only with --force, which the audit log records");
        }
        return true;
    }

    /** Records a forced change of a protected ref or a tag in the audit log. */
    void forced(String detail) {
        ts.policy().audit(AuditLog.FORCE, null, AuditLog.Outcome.OK, detail);
    }

    /**
     * The reflog of a ref, newest first: a branch or tag name, a full ref name, or null for the
     * current instance's branch.
     */
    public List<Repository.ReflogEntry> reflog(String ref) {
        String full = fullName(ref);
        return ts.repository().reflog(full);
    }

    /** "main" -> refs/heads/main (or refs/tags/main when only a tag has that name); null -> current branch. */
    public String fullName(String ref) {
        if (ref == null) {
            InstanceRecord cur = ts.instances().current();
            if (cur.branch() == null) {
                throw ToolstackException.failed("instance " + cur.name() + " is detached (on no branch); name a ref");
            }
            return HEADS + cur.branch();
        }
        if (ref.startsWith("refs/")) {
            return ref;
        }
        Map<String, SnapshotId> all = ts.repository().refs();
        if (!all.containsKey(HEADS + ref) && all.containsKey(TAGS + ref)) {
            return TAGS + ref;
        }
        return HEADS + checkName("ref", ref);
    }

    private boolean reachedElsewhere(String self, SnapshotId head) {
        List<SnapshotId> tips = new ArrayList<>();
        ts.repository().refs().forEach((n, id) -> {
            if (!n.equals(self)) {
                tips.add(id);
            }
        });
        ts.instances().list().forEach(r -> tips.add(r.base()));
        return ts.history().isAncestorOfAny(head, tips);
    }

    /** Checks a branch or tag name (Git's ref-name rules, and not HEAD, @ or a leading '-'). */
    static String checkName(String what, String name) {
        if (name == null || name.isEmpty() || name.startsWith("-") || name.equals("HEAD") || name.equals("@")
                || name.startsWith("refs/") || !org.eclipse.jgit.lib.Repository.isValidRefName(HEADS + name)) {
            throw ToolstackException.badInput("bad " + what + " name '" + name + "'");
        }
        return name;
    }
}
