package dev.vmtree.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * One writer's session on a repository, holding its writer lock until {@link #close()}. Chunks go
 * to a new pack; anything that names chunks (a snapshot commit, an extra root) first makes them
 * durable, so a crash can never leave a name pointing at a chunk that is not on disk.
 *
 * <p>Chunks written here must be named by a snapshot, ref or extra root before the transaction
 * ends, or the next gc drops them. Threading: one thread drives a transaction; the page work it
 * starts runs on all cores.
 */
public final class WriteTransaction implements AutoCloseable {
    private final Repository repo;
    private final WriterLock lock;
    private final ChunkWriter writer;
    private boolean closed;

    WriteTransaction(Repository repo, WriterLock lock) {
        this.repo = repo;
        this.lock = lock;
        repo.chunks().refresh();
        this.writer = new ChunkWriter(repo.chunks());
        repo.chunks().setWriter(writer);
    }

    /** The pack writer, for raw chunks (state blobs, bundles). */
    public ChunkWriter chunks() {
        return writer;
    }

    /** Stores a whole image; {@code pages} returns page {@code i} or null for a zero page (thread-safe). */
    public PageTreeRoot buildTree(long size, int pageSize, LongFunction<byte[]> pages) {
        return PageTreeWriter.build(writer, repo.chunks(), size, pageSize, pages);
    }

    /**
     * Stores a new version of {@code base} in which exactly the pages listed in {@code dirty} may
     * have changed; cost is O(dirty pages · depth). Same image size as {@code base}.
     */
    public PageTreeRoot updateTree(PageTreeRoot base, LongFunction<byte[]> pages, long[] dirty) {
        return PageTreeWriter.update(writer, repo.chunks(), base, pages, dirty);
    }

    /**
     * Makes every chunk written so far durable (pack fsync, then index published), with whatever the
     * repository's {@link Promisor} fetched and kept in memory meanwhile.
     */
    public void flush() {
        Promisor p = repo.promisor();
        List<ChunkId> fetched = p == null ? List.of() : p.copyInto(writer, repo.chunks());
        writer.flush();
        if (p != null) {
            p.written(fetched);
        }
    }

    /**
     * Writes a snapshot commit after making its chunks durable; moves no ref. Fails if an image
     * root is not in the store.
     */
    public SnapshotId writeSnapshot(List<SnapshotId> parents, SnapshotContent content, String message) {
        return writeSnapshot(parents, content, message, null, null);
    }

    /**
     * As {@link #writeSnapshot(List, SnapshotContent, String)}, recording {@code authorName} and
     * {@code authorEmail} as the commit's author (null or blank name: "vmtree").
     */
    public SnapshotId writeSnapshot(List<SnapshotId> parents, SnapshotContent content, String message, String authorName,
                                    String authorEmail) {
        flush();
        for (var e : content.images().entrySet()) {
            if (!repo.chunks().contains(e.getValue().root())) {
                throw new StoreException("image '" + e.getKey() + "' names chunk " + e.getValue().root().shortHex()
                        + " that is not in the store");
            }
        }
        try {
            return repo.meta().writeCommit(parents, content, message, authorName, authorEmail);
        } catch (IOException e) {
            throw new StoreException("cannot write a snapshot to " + repo.meta().gitDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Moves {@code ref} ("main" = refs/heads/main, or a full "refs/..." name) from
     * {@code expectedOld} (null: must not exist) to {@code newId} (null: delete), atomically.
     */
    public RefResult updateRef(String ref, SnapshotId expectedOld, SnapshotId newId, String reflogMessage) {
        return repo.meta().updateRef(ref, expectedOld, newId, reflogMessage);
    }

    /**
     * Creates tag ref {@code ref} ("refs/tags/v1") at a new annotated tag object naming
     * {@code target}, with tagger {@code taggerName <taggerEmail>} and {@code message}, signed by
     * {@code signer} when not null. The object is durable before the ref names it; STALE when the
     * ref exists (nothing is moved). Format in docs/format.md ("Signed tags").
     */
    public RefResult createAnnotatedTag(String ref, SnapshotId target, String taggerName, String taggerEmail,
                                        String message, TagSigner signer, String reflogMessage) {
        String tagName = ref.startsWith("refs/tags/") ? ref.substring("refs/tags/".length()) : ref;
        return repo.meta().writeTag(ref, tagName, target, taggerName, taggerEmail, message, signer, reflogMessage);
    }

    /**
     * Creates {@code to} at {@code id} carrying {@code from}'s whole reflog plus one entry for this
     * move ({@code git branch -m/-c}); {@code from} is left as it is. STALE when {@code to} exists,
     * REJECTED when its name clashes with another ref's (a/b against a).
     */
    public RefResult copyRef(String from, String to, SnapshotId id, String reflogMessage) {
        return repo.meta().copyRef(from, to, id, reflogMessage);
    }

    /** The result of {@link #commit}: the new snapshot and how its branch moved. */
    public record CommitResult(SnapshotId snapshot, RefResult ref) {}

    /** Commits on top of the branch's current head (if any) and moves the branch there. */
    public CommitResult commit(String branch, SnapshotContent content, String message) {
        SnapshotId head = repo.resolveRef(branch).orElse(null);
        List<SnapshotId> parents = head == null ? List.of() : List.of(head);
        SnapshotId id = writeSnapshot(parents, content, message);
        return new CommitResult(id, updateRef(branch, head, id, "commit: " + firstLine(message)));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Adds or replaces an extra gc/fsck root, durably; its chunks are made durable first. */
    public void registerRoot(ExtraRoot root) {
        flush();
        List<ExtraRoot> roots = new ArrayList<>(repo.extraRoots());
        roots.removeIf(r -> r.name().equals(root.name()));
        roots.add(root);
        repo.writeRoots(roots);
    }

    /**
     * Replaces the whole roots file with {@code roots} (rebuilding it after it was lost or
     * damaged): their chunks are made durable first; a file that exists but cannot be read is kept
     * beside it as {@code roots.damaged}.
     */
    public void replaceRoots(List<ExtraRoot> roots) {
        flush();
        java.nio.file.Path f = repo.storeDirectory().resolve("roots");
        if (repo.files().exists(f)) {
            try {
                repo.extraRoots();
            } catch (StoreException damaged) {
                try {
                    repo.files().writeAtomically(f.resolveSibling("roots.damaged"), repo.files().readAll(f));
                } catch (IOException e) {
                    throw new StoreException("cannot keep the damaged " + f + " as roots.damaged: " + e.getMessage(), e);
                }
            }
        }
        repo.writeRoots(roots);
    }

    /** Removes an extra root; returns false when none had that name. */
    public boolean unregisterRoot(String name) {
        List<ExtraRoot> roots = new ArrayList<>(repo.extraRoots());
        if (!roots.removeIf(r -> r.name().equals(name))) {
            return false;
        }
        repo.writeRoots(roots);
        return true;
    }

    Repository repository() {
        return repo;
    }

    /** Releases the lock. Chunks not flushed are abandoned: nothing names them. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            repo.chunks().setWriter(null);
            writer.close();
        } finally {
            lock.close();
        }
    }
}
