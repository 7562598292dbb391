package dev.vmtree.store;

import dev.vmtree.store.fs.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.ReflogEntry;
import org.eclipse.jgit.lib.ReflogReader;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.util.SystemReader;

/**
 * Snapshot metadata in the bare Git repository {@code .vmtree/meta.git}: one commit per snapshot,
 * branches under refs/heads, tags under refs/tags, a reflog for every ref update. Plain
 * {@code git log --graph --all} on that directory shows the history. Thread-safe (JGit's
 * repository is); ref updates are atomic compare-and-swap through JGit's lock files.
 */
final class MetaStore implements AutoCloseable {
    static final long MAX_FILE = 64L << 20;

    private final Path gitDir;
    private final org.eclipse.jgit.lib.Repository git;

    private MetaStore(Path gitDir, org.eclipse.jgit.lib.Repository git) {
        this.gitDir = gitDir;
        this.git = git;
    }

    static void init(Path gitDir) throws IOException {
        NoSystemGitConfig.install();
        try (Git g = Git.init().setBare(true).setGitDir(gitDir.toFile()).setInitialBranch("main").call()) {
            StoredConfig c = g.getRepository().getConfig();
            // A bare repository logs no ref updates unless told; the reflog is vmtree's undo.
            c.setString("core", null, "logAllRefUpdates", "always");
            // Refs reach the disk before JGit reports them moved (JGit's WriteConfig). Objects are
            // fsynced by writeCommit itself: core.fsyncObjectFiles would make plain git warn.
            c.setBoolean("core", null, "fsyncRefFiles", true);
            c.setInt("gc", null, "auto", 0);
            c.save();
        } catch (GitAPIException e) {
            throw new IOException(e.getMessage(), e);
        }
        OwnerOnly.restrictTree(gitDir);     // JGit creates with the umask's modes
    }

    static MetaStore open(Path gitDir) {
        if (!Files.isDirectory(gitDir.resolve("objects")) || !Files.isRegularFile(gitDir.resolve("HEAD"))) {
            throw new StoreException("damaged repository: " + gitDir + " is not a Git repository");
        }
        NoSystemGitConfig.install();
        try {
            var repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setBare().setMustExist(true).build();
            repo.getConfig().load();
            return new MetaStore(gitDir, repo);
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof org.eclipse.jgit.errors.ConfigInvalidException && t.getCause() == null) {
                    throw new StoreException("damaged repository: " + gitDir.resolve("config") + " cannot be parsed ("
                            + t.getMessage() + "); fix it, or restore the settings docs/format.md lists", e);
                }
            }
            throw new StoreException("damaged repository: cannot open " + gitDir + ": " + e.getMessage(), e);
        }
    }

    Path gitDir() {
        return gitDir;
    }

    org.eclipse.jgit.lib.Repository git() {
        return git;
    }

    /** "main" means refs/heads/main; names starting with refs/ are taken as they are. */
    static String refName(String name) {
        String full = name.startsWith("refs/") ? name : Constants.R_HEADS + name;
        if (!org.eclipse.jgit.lib.Repository.isValidRefName(full)) {
            throw new IllegalArgumentException("bad ref name: " + name);
        }
        return full;
    }

    SnapshotId writeCommit(List<SnapshotId> parents, SnapshotContent content, String message) throws IOException {
        return writeCommit(parents, content, message, null, null);
    }

    /** As above with an author (null name: "vmtree"); the committer is always vmtree. */
    SnapshotId writeCommit(List<SnapshotId> parents, SnapshotContent content, String message, String authorName,
                           String authorEmail) throws IOException {
        try (ObjectInserter ins = git.newObjectInserter()) {
            DirCache dc = DirCache.newInCore();
            DirCacheBuilder b = dc.builder();
            Map<String, byte[]> files = new TreeMap<>(content.files());
            files.put(SnapshotContent.IMAGES_FILE, content.imagesText().getBytes(StandardCharsets.UTF_8));
            for (var f : files.entrySet()) {
                DirCacheEntry e = new DirCacheEntry(f.getKey());
                e.setFileMode(FileMode.REGULAR_FILE);
                e.setObjectId(ins.insert(Constants.OBJ_BLOB, f.getValue()));
                b.add(e);
            }
            b.finish();
            CommitBuilder cb = new CommitBuilder();
            cb.setTreeId(dc.writeTree(ins));
            cb.setParentIds(parents.stream().map(p -> ObjectId.fromString(p.hex())).toList());
            // the time and zone come from JGit's SystemReader, as in JGit's own commits, so a test can fix them
            SystemReader clock = SystemReader.getInstance();
            Instant now = clock.now();
            java.time.ZoneOffset zone = clock.getTimeZoneAt(now);
            PersonIdent who = new PersonIdent("vmtree", "vmtree@localhost", now, zone);
            cb.setAuthor(authorName == null || authorName.isBlank() ? who
                    : new PersonIdent(authorName, authorEmail == null ? "" : authorEmail, now, zone));
            cb.setCommitter(who);
            cb.setMessage(message.endsWith("\n") ? message : message + "\n");
            ObjectId id = ins.insert(cb);
            ins.flush();
            syncLooseObjects(id, cb.getTreeId());
            return new SnapshotId(id.name());
        }
    }

    /**
     * Fsyncs the loose files of a new commit and its whole tree, then their directories. The
     * files are fsynced at once (one wait for the journal, not one per object).
     */
    private void syncLooseObjects(ObjectId commit, ObjectId tree) throws IOException {
        java.util.List<Path> files = new ArrayList<>();
        addLoose(commit, files);
        addLoose(tree, files);
        try (TreeWalk tw = new TreeWalk(git)) {
            tw.addTree(tree);
            tw.setRecursive(false);
            while (tw.next()) {
                addLoose(tw.getObjectId(0), files);
                if (tw.isSubtree()) {
                    tw.enterSubtree();
                }
            }
        }
        java.util.List<Path> dirs = new ArrayList<>(files.stream().map(Path::getParent).distinct().toList());
        dirs.add(gitDir.resolve("objects"));
        for (Path p : files) {
            OwnerOnly.restrict(p);          // JGit writes objects and their directories with the umask's modes
        }
        for (Path d : dirs) {
            OwnerOnly.restrict(d);
        }
        forceAll(files);
        forceAll(dirs);
    }

    private static void forceAll(java.util.List<Path> paths) throws IOException {
        try {
            Parallel.run(paths.size(), i -> {
                // A read-only handle may be forced on Linux, for files and directories alike.
                try (var ch = java.nio.channels.FileChannel.open(paths.get(i), java.nio.file.StandardOpenOption.READ)) {
                    ch.force(true);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void addLoose(ObjectId id, java.util.List<Path> files) {
        Path f = gitDir.resolve("objects").resolve(id.name().substring(0, 2)).resolve(id.name().substring(2));
        if (Files.exists(f)) {
            files.add(f);
        }
    }

    /** A reader that checks every object against its id ({@link VerifyingObjectReader}). */
    ObjectReader newVerifyingReader() {
        return VerifyingObjectReader.of(git);
    }

    Snapshot read(SnapshotId id) {
        try (ObjectReader reader = newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
            RevCommit c = rw.parseCommit(ObjectId.fromString(id.hex()));
            Map<String, byte[]> files = new LinkedHashMap<>();
            Map<String, PageTreeRoot> images = Map.of();
            try (TreeWalk tw = new TreeWalk(reader)) {
                tw.addTree(c.getTree());
                tw.setRecursive(true);
                while (tw.next()) {
                    byte[] bytes = reader.open(tw.getObjectId(0), Constants.OBJ_BLOB).getCachedBytes((int) MAX_FILE);
                    if (tw.getPathString().equals(SnapshotContent.IMAGES_FILE)) {
                        images = SnapshotContent.parseImages(new String(bytes, StandardCharsets.UTF_8));
                    } else {
                        files.put(tw.getPathString(), bytes);
                    }
                }
            }
            List<SnapshotId> parents = new ArrayList<>();
            for (RevCommit p : c.getParents()) {
                parents.add(new SnapshotId(p.name()));
            }
            return new Snapshot(id, parents, c.getFullMessage(), c.getCommitterIdent().getWhenAsInstant(),
                    new SnapshotContent(files, images));
        } catch (IOException | RuntimeException e) {
            if (e instanceof StoreException se) {
                throw se;
            }
            throw new StoreException("cannot read snapshot " + id.shortHex() + " from " + gitDir + ": " + e, e);
        }
    }

    /** A revision's trailing {@code ~N} and {@code ^N} steps, walked here so every commit on the way is verified. */
    private static final java.util.regex.Pattern STEPS = java.util.regex.Pattern.compile("((?:[~^][0-9]*)*)$");

    /**
     * A commit, ref name ("main", "refs/tags/v1") or unique abbreviation, optionally followed by
     * {@code ~N} and {@code ^N} steps; empty when unknown. JGit finds the starting commit by its
     * name; it and every step are read through a verifying reader, so a swapped commit cannot
     * redirect them.
     */
    Optional<SnapshotId> resolve(String rev) {
        java.util.regex.Matcher m = STEPS.matcher(rev);
        String steps = m.find() ? m.group(1) : "";
        String base = rev.substring(0, rev.length() - steps.length());
        try (ObjectReader reader = newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
            // "^{commit}" keeps JGit's rules for abbreviations (commits preferred); the id it finds is read again below.
            ObjectId start = base.isEmpty() ? null : git.resolve(base + "^{commit}");
            if (start == null) {
                return Optional.empty();
            }
            org.eclipse.jgit.revwalk.RevObject o = rw.peel(rw.parseAny(start));
            if (!(o instanceof RevCommit c)) {
                return Optional.empty();
            }
            for (int i = 0; i < steps.length(); ) {
                char op = steps.charAt(i++);
                int from = i;
                while (i < steps.length() && Character.isDigit(steps.charAt(i))) {
                    i++;
                }
                int n = from == i ? 1 : Integer.parseInt(steps.substring(from, i));
                if (op == '~') {
                    for (int k = 0; k < n && c != null; k++) {
                        rw.parseHeaders(c);
                        c = c.getParentCount() == 0 ? null : c.getParent(0);
                    }
                } else if (n > 0) {
                    rw.parseHeaders(c);
                    c = c.getParentCount() < n ? null : c.getParent(n - 1);
                }
                if (c == null) {
                    return Optional.empty();
                }
            }
            rw.parseHeaders(c);
            return Optional.of(new SnapshotId(c.name()));
        } catch (StoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new StoreException("cannot resolve '" + rev + "' in " + gitDir + ": " + e.getMessage(), e);
        }
    }

    Map<String, SnapshotId> refs() {
        Map<String, SnapshotId> out = new TreeMap<>();
        try {
            for (Ref r : git.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
                ObjectId id = r.getPeeledObjectId() != null ? r.getPeeledObjectId() : r.getObjectId();
                if (id != null && !r.isPeeled() && r.getName().startsWith(Constants.R_TAGS)) {
                    // an annotated tag names its snapshot through its tag object; a damaged object stays as it
                    // is, for fsck to report under this id (branches always name commits: nothing is read)
                    id = ObjectId.fromString(peeled(id).hex());
                }
                if (id != null) {
                    out.put(r.getName(), new SnapshotId(id.name()));
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot read refs of " + gitDir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** One reflog line: the ref moved from {@code oldId} (null: created) to {@code newId} (null: deleted). */
    record LogEntry(SnapshotId oldId, SnapshotId newId, Instant time, String message) {}

    List<LogEntry> reflog(String ref) {
        List<LogEntry> out = new ArrayList<>();
        try {
            ReflogReader r = git.getRefDatabase().getReflogReader(refName(ref));
            if (r == null) {
                return out;
            }
            boolean tag = refName(ref).startsWith(Constants.R_TAGS);
            for (ReflogEntry e : r.getReverseEntries()) {
                // A tag's log may name annotated tag objects: callers (gc, fsck, reflog) want the snapshots.
                out.add(new LogEntry(tag ? peeled(e.getOldId()) : orNull(e.getOldId()),
                        tag ? peeled(e.getNewId()) : orNull(e.getNewId()), e.getWho().getWhenAsInstant(),
                        e.getComment()));
            }
        } catch (IOException | RuntimeException e) {
            // JGit throws unchecked exceptions (InvalidObjectIdException) for a garbage line.
            throw new StoreException("damaged reflog " + gitDir.resolve("logs").resolve(refName(ref)) + ": " + e.getMessage()
                    + " (run `vmtree fsck`)", e);
        }
        return out;
    }

    /** The commit an id names, through any annotated tag objects; the id itself when it cannot be read. */
    private SnapshotId peeled(ObjectId id) {
        if (id == null || id.equals(ObjectId.zeroId())) {
            return null;
        }
        try (RevWalk rw = new RevWalk(git)) {
            return new SnapshotId(rw.peel(rw.parseAny(id)).name());
        } catch (IOException | RuntimeException e) {
            return new SnapshotId(id.name());   // fsck reports the missing object under this id
        }
    }

    private static SnapshotId orNull(ObjectId id) {
        return id == null || id.equals(ObjectId.zeroId()) ? null : new SnapshotId(id.name());
    }

    RefResult updateRef(String ref, SnapshotId expectedOld, SnapshotId newId, String message) {
        String name = refName(ref);
        try {
            RefUpdate ru = newUpdate(name, expectedOld, message);
            RefUpdate.Result r;
            if (newId == null) {
                ru.setForceUpdate(true);
                r = ru.delete();
            } else {
                ru.setNewObjectId(ObjectId.fromString(newId.hex()));
                r = ru.update();
                if (r == RefUpdate.Result.REJECTED) {
                    // Not a fast-forward: vmtree moves refs anywhere (rollback), and says so.
                    ru = newUpdate(name, expectedOld, message);
                    ru.setNewObjectId(ObjectId.fromString(newId.hex()));
                    ru.setForceUpdate(true);
                    r = ru.update();
                }
            }
            restrictRef(name);
            RefResult.Status s = switch (r) {
                case NEW -> RefResult.Status.CREATED;
                case FAST_FORWARD -> RefResult.Status.FAST_FORWARD;
                case FORCED -> newId == null ? RefResult.Status.DELETED : RefResult.Status.FORCED;
                case NO_CHANGE -> RefResult.Status.NO_CHANGE;
                case LOCK_FAILURE -> RefResult.Status.STALE;
                case IO_FAILURE -> throw new StoreException("cannot update " + name + " in " + gitDir + " (I/O failure)");
                default -> RefResult.Status.REJECTED;
            };
            return new RefResult(s, name, expectedOld, newId);
        } catch (IOException e) {
            throw new StoreException("cannot update " + name + " in " + gitDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates ref {@code to} at {@code id} with a copy of {@code from}'s whole reflog, then logs the
     * creation with {@code message} on top, as {@code git branch -m/-c} keep a branch's history: the
     * snapshots those entries name stay roots for gc. The copy is written whole (temporary file,
     * fsync, rename, directory fsync) before {@code to} exists, so a crash leaves either no
     * {@code to} or one with the full log. STALE when {@code to} exists, REJECTED when its name
     * conflicts with another ref's directory (refs/heads/a against refs/heads/a/b); nothing changes then.
     */
    RefResult copyRef(String from, String to, SnapshotId id, String message) {
        String source = refName(from);
        String target = refName(to);
        try {
            if (git.getRefDatabase().exactRef(target) != null) {
                return new RefResult(RefResult.Status.STALE, target, null, id);
            }
            if (git.getRefDatabase().isNameConflicting(target)) {
                return new RefResult(RefResult.Status.REJECTED, target, null, id);
            }
            Path sourceLog = gitDir.resolve("logs").resolve(source);
            Path targetLog = gitDir.resolve("logs").resolve(target);
            boolean copied = false;
            if (Files.isRegularFile(sourceLog)) {
                Files.createDirectories(targetLog.getParent());
                dev.vmtree.store.fs.RealFileLayer.INSTANCE.writeAtomically(targetLog, Files.readAllBytes(sourceLog));
                copied = true;
            }
            RefResult r = updateRef(target, null, id, message);
            if (!r.ok() && copied) {
                Files.deleteIfExists(targetLog);
            }
            return r;
        } catch (IOException e) {
            throw new StoreException("cannot copy " + source + " to " + target + " in " + gitDir + ": " + e.getMessage(), e);
        }
    }

    /** What JGit wrote for ref {@code name} (the ref, its reflog, packed-refs, their directories) loses group and other bits. */
    private void restrictRef(String name) throws IOException {
        OwnerOnly.restrictUpTo(gitDir.resolve(name), gitDir);
        OwnerOnly.restrictUpTo(gitDir.resolve("logs").resolve(name), gitDir);
        OwnerOnly.restrict(gitDir.resolve("packed-refs"));
    }

    /**
     * The id to compare-and-swap against: callers name the snapshot a ref points at, and an
     * annotated tag points at it through its tag object, so that object's id when it names it.
     */
    private ObjectId expectedRaw(String name, SnapshotId expected) throws IOException {
        ObjectId want = ObjectId.fromString(expected.hex());
        Ref r = git.getRefDatabase().exactRef(name);
        if (r != null && r.getObjectId() != null && !r.getObjectId().equals(want)) {
            Ref p = r.isPeeled() ? r : git.getRefDatabase().peel(r);
            if (want.equals(p.getPeeledObjectId())) {
                return r.getObjectId();
            }
        }
        return want;
    }

    /**
     * Writes an annotated tag object naming commit {@code target}, signed by {@code signer} when
     * not null (the signature appended to the object's bytes, as Git does), fsynced, and creates
     * ref {@code ref} at it (STALE when the ref exists). The tagger is {@code taggerName <taggerEmail>}.
     */
    RefResult writeTag(String ref, String tagName, SnapshotId target, String taggerName, String taggerEmail,
                       String message, TagSigner signer, String reflogMessage) {
        String name = refName(ref);
        try (ObjectInserter ins = git.newObjectInserter()) {
            org.eclipse.jgit.lib.TagBuilder tb = new org.eclipse.jgit.lib.TagBuilder();
            tb.setObjectId(ObjectId.fromString(target.hex()), Constants.OBJ_COMMIT);
            tb.setTag(tagName);
            tb.setTagger(new PersonIdent(taggerName, taggerEmail, SystemReader.getInstance().now(), java.time.ZoneOffset.UTC));
            tb.setMessage(message.endsWith("\n") ? message : message + "\n");
            if (signer != null) {
                byte[] sig = signer.sign(tb.build());
                tb.setGpgSignature(new org.eclipse.jgit.lib.GpgSignature(sig));
            }
            ObjectId id = ins.insert(tb);
            ins.flush();
            java.util.List<Path> files = new ArrayList<>();
            addLoose(id, files);
            for (Path p : files) {
                OwnerOnly.restrict(p);
                OwnerOnly.restrict(p.getParent());
            }
            forceAll(files);
            forceAll(files.stream().map(Path::getParent).toList());
            RefUpdate ru = git.updateRef(name);
            ru.setExpectedOldObjectId(ObjectId.zeroId());
            ru.setRefLogMessage(reflogMessage, false);
            ru.setForceRefLog(true);
            ru.setNewObjectId(id);
            RefUpdate.Result r = ru.update();
            restrictRef(name);
            RefResult.Status s = switch (r) {
                case NEW -> RefResult.Status.CREATED;
                case LOCK_FAILURE -> RefResult.Status.STALE;
                case IO_FAILURE -> throw new StoreException("cannot update " + name + " in " + gitDir + " (I/O failure)");
                default -> RefResult.Status.REJECTED;
            };
            return new RefResult(s, name, null, target);
        } catch (IOException e) {
            throw new StoreException("cannot write tag " + name + " in " + gitDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The annotated tag object {@code ref} points at, read through a verifying reader; empty when
     * the ref does not exist or names a commit directly (a lightweight tag).
     */
    Optional<TagObject> readTag(String ref) {
        String name = refName(ref);
        try (ObjectReader reader = newVerifyingReader()) {
            Ref r = git.getRefDatabase().exactRef(name);
            if (r == null || r.getObjectId() == null) {
                return Optional.empty();
            }
            org.eclipse.jgit.lib.ObjectLoader l = reader.open(r.getObjectId());
            if (l.getType() != Constants.OBJ_TAG) {
                return Optional.empty();
            }
            if (l.getSize() > TagObject.MAX_BYTES) {
                throw new DamagedObjectException("tag object " + r.getObjectId().name() + " of " + name + " is "
                        + l.getSize() + " bytes, more than a tag may be");
            }
            return Optional.of(TagObject.parse(r.getObjectId().name(), name, l.getCachedBytes(TagObject.MAX_BYTES)));
        } catch (StoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new StoreException("cannot read tag " + name + " in " + gitDir + ": " + e.getMessage(), e);
        }
    }

    /** A compare-and-swap update of {@code name} that writes a reflog entry. */
    private RefUpdate newUpdate(String name, SnapshotId expectedOld, String message) throws IOException {
        RefUpdate ru = git.updateRef(name);
        ru.setExpectedOldObjectId(expectedOld == null ? ObjectId.zeroId() : expectedRaw(name, expectedOld));
        ru.setRefLogMessage(message, false);
        ru.setForceRefLog(true);
        return ru;
    }

    @Override
    public void close() {
        git.close();
    }
}
