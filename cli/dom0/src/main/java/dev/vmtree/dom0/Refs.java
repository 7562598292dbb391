package dev.vmtree.dom0;

import dev.vmtree.store.RefResult;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Branches and tags, with Dom0's policy on top of the store's atomic ref moves: a branch an
 * instance is on cannot be deleted, a branch whose snapshots nothing else reaches is deleted only
 * with force, and tags are golden images: never moved, deleted only with force. Every move is
 * logged in the ref's reflog. Threading: as {@link Toolstack}.
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
        SnapshotId head = branchHead(name).orElseThrow(() -> ToolstackException.failed("no branch '" + name + "'"));
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
        return head;
    }

    /**
     * Renames a branch, keeping its whole reflog (git's {@code branch -m}), and moves every instance
     * on it to the new name. In order: the new name is created with a copy of the old reflog plus a
     * "renamed" entry, the instances are rewritten, the old name is deleted. A crash in between
     * leaves both names (each with the full log), never a lost entry.
     */
    public void renameBranch(String from, String to) {
        SnapshotId head = startOfCopy(from, to);
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

    /** Deletes a tag; only with {@code force}, because a tag is a golden image someone may ship. */
    public SnapshotId deleteTag(String name, boolean force) {
        SnapshotId at = tagTarget(name).orElseThrow(() -> ToolstackException.failed("no tag '" + name + "'"));
        if (!force) {
            throw ToolstackException.failed("tag '" + name + "' is a golden image; delete it with --force");
        }
        try (WriteTransaction tx = ts.beginWrite()) {
            if (!tx.updateRef(TAGS + name, at, null, "tag: deleted").ok()) {
                throw ToolstackException.failed("tag '" + name + "' changed meanwhile; try again");
            }
        }
        return at;
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
