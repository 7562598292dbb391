package dev.vmtree.store;

import dev.vmtree.store.fs.FileLayer;
import dev.vmtree.store.fs.OwnerOnly;
import dev.vmtree.store.fs.RealFileLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A vmtree repository: the directory {@code .vmtree/} holding {@code FORMAT}, the chunk packs in
 * {@code chunks/}, the snapshot metadata in the bare Git repository {@code meta.git/}, the extra
 * roots in {@code roots} and the writer lock {@code lock}. See docs/format.md and docs/store.md.
 *
 * <p>Threading: reads are lock-free and safe from any thread or process; writes go through a
 * {@link WriteTransaction}, one at a time per repository across processes.
 */
public final class Repository implements AutoCloseable {
    public static final String DIR = ".vmtree";
    public static final String FORMAT_FILE = "FORMAT";
    public static final int FORMAT_VERSION = 1;
    static final String FORMAT_TEXT = "vmtree-store " + FORMAT_VERSION + "\n";
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(60);

    private final Path top;
    private final Path dir;
    private final FileLayer fs;
    private final ChunkStore chunks;
    private final MetaStore meta;

    private Repository(Path top, FileLayer fs) {
        this(top, top.resolve(DIR), fs);
    }

    private Repository(Path top, Path dir, FileLayer fs) {
        this.top = top;
        this.dir = dir;
        this.fs = fs;
        checkFormat();
        try {
            OwnerOnly.restrict(dir);    // a repository made before .vmtree was owner-only becomes so
        } catch (IOException e) {
            // not ours to change (another user's repository opened to read): leave it
        }
        this.meta = MetaStore.open(dir.resolve("meta.git"));
        this.chunks = new ChunkStore(fs, dir.resolve("chunks"));
    }

    /** Creates a repository in {@code top} (its {@code .vmtree/}); fails if one exists there. */
    public static Repository init(Path top) {
        return init(top, RealFileLayer.INSTANCE);
    }

    public static Repository init(Path top, FileLayer fs) {
        Path dir = top.resolve(DIR);
        if (Files.exists(dir.resolve(FORMAT_FILE)) || fs.exists(dir.resolve(FORMAT_FILE))) {
            throw new StoreException("a vmtree repository already exists in " + dir);
        }
        try {
            Files.createDirectories(top);                   // the user's directory: their umask
            OwnerOnly.createDirectories(dir);               // .vmtree and all in it: the owner's only
            OwnerOnly.restrict(dir);
            fs.createDirectories(dir.resolve("chunks"));
            MetaStore.init(dir.resolve("meta.git"));
            fs.writeAtomically(dir.resolve("roots"), RootsFile.encode(List.of()));
            // FORMAT last: a directory without it is not yet (or no longer) a repository.
            fs.writeAtomically(dir.resolve(FORMAT_FILE), FORMAT_TEXT);
        } catch (IOException e) {
            throw new StoreException("cannot create a repository in " + dir + ": "
                    + dev.vmtree.store.fs.IoErrors.reason(e), e);
        }
        return new Repository(top, fs);
    }

    /** Opens the repository whose {@code .vmtree/} is in {@code start} or the nearest parent. */
    public static Repository open(Path start) {
        return open(start, RealFileLayer.INSTANCE);
    }

    public static Repository open(Path start, FileLayer fs) {
        Path top = find(start).orElseThrow(() -> new StoreException(
                "not a vmtree repository (or any parent up to /): " + start.toAbsolutePath().normalize()));
        return new Repository(top, fs);
    }

    /**
     * Opens the store in {@code dir} itself: the {@code .vmtree/} of a repository, or a bare one (a
     * remote that {@code vmtree push} created, docs/format.md "Remote layout"), whose top
     * directory is then {@code dir} too.
     */
    public static Repository openStore(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return new Repository(d.getFileName() != null && d.getFileName().toString().equals(DIR) ? d.getParent() : d, d,
                RealFileLayer.INSTANCE);
    }

    /** The directory holding {@code .vmtree/}, searching {@code start} and its parents. */
    public static Optional<Path> find(Path start) {
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(DIR))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private void checkFormat() {
        Path f = dir.resolve(FORMAT_FILE);
        if (!fs.exists(f)) {
            throw new StoreException("not a vmtree repository: " + f + " is missing");
        }
        String text;
        try {
            text = new String(fs.readAll(f), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StoreException("damaged repository: cannot read " + f + ": " + e.getMessage(), e);
        }
        String[] words = text.trim().split("\\s+");
        if (words.length < 2 || !words[0].equals("vmtree-store")) {
            throw new StoreException("damaged repository: " + f + " does not start with 'vmtree-store VERSION'");
        }
        int version;
        try {
            version = Integer.parseInt(words[1]);
        } catch (NumberFormatException e) {
            throw new StoreException("damaged repository: bad version in " + f + ": " + words[1]);
        }
        if (version > FORMAT_VERSION) {
            throw new StoreException("repository format " + version + " is newer than this vmtree reads ("
                    + FORMAT_VERSION + "): " + f);
        }
    }

    /** The directory that holds {@code .vmtree/}. */
    public Path topDirectory() {
        return top;
    }

    public Path storeDirectory() {
        return dir;
    }

    public Path gitDirectory() {
        return meta.gitDir();
    }

    public ChunkStore chunks() {
        return chunks;
    }

    MetaStore meta() {
        return meta;
    }

    FileLayer files() {
        return fs;
    }

    /**
     * Makes {@code p} the promisor of the chunks absent here (a lazy clone's remote,
     * docs/remotes.md): reads fetch them from it, verified, and fsck counts them as promised, not
     * missing. Null: none (an absent chunk is missing).
     */
    public void setPromisor(Promisor p) {
        if (p != null) {
            p.attach(this);
        }
        chunks.setPromisor(p);
    }

    /** The promisor of the chunks absent here, or null. */
    public Promisor promisor() {
        return chunks.promisor();
    }

    /** A reader over one image. */
    public PageTree pageTree(PageTreeRoot root) {
        return new PageTree(chunks, root);
    }

    public Snapshot readSnapshot(SnapshotId id) {
        return meta.read(id);
    }

    /** A commit id, abbreviation, branch ("main"), tag or full ref name; empty when unknown. */
    public Optional<SnapshotId> resolve(String rev) {
        return meta.resolve(rev);
    }

    /** The snapshot a ref points at: "main" means refs/heads/main. */
    public Optional<SnapshotId> resolveRef(String ref) {
        return Optional.ofNullable(meta.refs().get(MetaStore.refName(ref)));
    }

    /** Every ref (full names) and the snapshot it points at. */
    public Map<String, SnapshotId> refs() {
        return meta.refs();
    }

    /**
     * The annotated tag object {@code ref} ("refs/tags/v1") points at, hash-checked; empty for a
     * missing ref or a lightweight tag. A damaged object throws {@link DamagedObjectException}.
     */
    public Optional<TagObject> readTag(String ref) {
        return meta.readTag(ref);
    }

    /** The reflog of a ref, newest first. */
    public List<ReflogEntry> reflog(String ref) {
        return meta.reflog(ref).stream()
                .map(e -> new ReflogEntry(e.oldId(), e.newId(), e.time(), e.message())).toList();
    }

    /** One reflog line: the ref moved from {@code oldId} (null: created) to {@code newId} (null: deleted). */
    public record ReflogEntry(SnapshotId oldId, SnapshotId newId, java.time.Instant time, String message) {}

    /**
     * The roots registered by upper layers. {@link #init} writes the file, so a missing one is
     * damage (an empty list would let gc drop every instance's working state, and the next
     * registration would write a file naming one root of many): it throws, as a damaged one does.
     */
    public List<ExtraRoot> extraRoots() {
        Path f = dir.resolve("roots");
        try {
            if (!fs.exists(f)) {
                throw new StoreException("damaged repository: " + f + " is missing (run `vmtree fsck`)");
            }
            return RootsFile.decode(fs.readAll(f));
        } catch (IOException e) {
            throw new StoreException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new StoreException("damaged roots file " + f + ": " + e.getMessage(), e);
        }
    }

    void writeRoots(List<ExtraRoot> roots) {
        try {
            fs.writeAtomically(dir.resolve("roots"), RootsFile.encode(roots));
        } catch (IOException e) {
            throw new StoreException("cannot write " + dir.resolve("roots") + ": " + e.getMessage(), e);
        }
    }

    /** Starts a write, waiting up to a minute for another writer. */
    public WriteTransaction beginWrite() {
        return beginWrite(DEFAULT_LOCK_TIMEOUT, msg -> {});
    }

    /** Starts a write; {@code onWait} hears once why it waits (the pid holding the lock). */
    public WriteTransaction beginWrite(Duration timeout, Consumer<String> onWait) {
        WriterLock lock = WriterLock.acquire(dir.resolve("lock"), timeout, onWait);
        try {
            return new WriteTransaction(this, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Verifies every chunk reachable from the roots and every Git object; never throws for damage. */
    public FsckReport fsck() {
        return new Fsck(this).run();
    }

    /**
     * Verifies what one snapshot needs: every Git object of it and its ancestors (content hash
     * re-computed) and every chunk their page trees reach (SHA-256); {@code owner} names it in the
     * problems (a ref name). Repository-wide files are not checked: that is {@link #fsck()}.
     */
    public FsckReport fsck(SnapshotId snapshot, String owner) {
        return new Fsck(this, RootSet.ofSnapshot(snapshot, owner)).run();
    }

    /** Drops chunks unreachable from the roots after expiring reflog entries older than {@code expire}. */
    public GcReport gc(Duration expire, Duration lockTimeout, Consumer<String> onWait) {
        return gc(expire, lockTimeout, onWait, List::of);
    }

    /**
     * As above, but first asks the upper layer, under the writer lock, what it cannot account for
     * (an instance record whose root is not registered): any line stops gc before anything is
     * deleted, with that line in the message.
     */
    public GcReport gc(Duration expire, Duration lockTimeout, Consumer<String> onWait,
                       java.util.function.Supplier<List<String>> upperLayerProblems) {
        try (WriteTransaction tx = beginWrite(lockTimeout, onWait)) {
            return new Gc(this, tx, upperLayerProblems).run(expire);
        }
    }

    /** Closes the store; what a promisor fetched and no writer has stored yet is stored first, if the lock is free. */
    @Override
    public void close() {
        Promisor p = chunks.promisor();
        try {
            if (p != null) {
                p.writeOut(this, PROMISED_WRITE_WAIT);
                p.close();
            }
        } finally {
            chunks.close();
            meta.close();
        }
    }

    /** How long {@link #close} waits for the writer lock to store what a promisor fetched. */
    static final Duration PROMISED_WRITE_WAIT = Duration.ofSeconds(5);
}
