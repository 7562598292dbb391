package dev.vmtree.store;

import dev.vmtree.store.fs.OwnerOnly;
import dev.vmtree.store.pack.ChunkCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevFlag;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.PackLock;
import org.eclipse.jgit.transport.PushConnection;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

/**
 * Fetch and push between this repository and a remote (docs/remotes.md): the snapshot commits and
 * tag objects through a JGit transport (a path, ssh://, or Git's "dumb" HTTP), the chunks through a
 * {@link ChunkRemote}. Only what the other side lacks moves: the commit walk stops at the snapshots
 * both have, and a chunk either side already holds is skipped.
 *
 * <p>Fetch checks everything before naming it: the Git objects land in a scratch repository that
 * borrows this one's objects (JGit's object checker on), every received chunk is verified against
 * its id before it is staged, and only after the chunks are durable and the objects imported are
 * refs moved. A transport failure midway publishes the chunks already verified, so the next fetch
 * resumes where this one stopped; hostile data ({@link TransferException}) publishes nothing.
 * Push sends chunks first, publishes them, and only then asks the remote to move its refs, with the
 * advertised old ids as the expected values: a concurrent push to the same ref is refused, never
 * lost.
 */
public final class Transfer {
    private Transfer() {}

    /**
     * Where Dom0 keeps a migrated instance's state on a remote ({@code vmtree migrate}, docs/migration.md):
     * like a branch, a ref of this namespace names a snapshot commit itself, never a tag object.
     */
    public static final String MIGRATIONS = "refs/migrations/";

    /** Whether a remote's ref {@code name} is one that transfers move: a branch, a tag or a migration. */
    static boolean transferable(String name) {
        return name.startsWith("refs/heads/") || name.startsWith("refs/tags/") || name.startsWith(MIGRATIONS);
    }

    /** Received chunks are published at least this often, so a killed fetch keeps most of its work. */
    static final long FLUSH_EVERY = 64L << 20;

    /**
     * A remote seen from here: {@code meta} is where its snapshot commits and refs are (meta.git
     * through a JGit transport, or an object store's ref log), {@code chunks} where its chunks are,
     * {@code name} what remote-tracking refs are named after (null: none).
     */
    public record Remote(String name, String describe, MetaRemote meta, ChunkRemote chunks) {
        /** A remote whose meta.git is at {@code meta}; {@code configure} sets up the transport, or null. */
        public Remote(String name, String describe, URIish meta, ChunkRemote chunks, Consumer<Transport> configure) {
            this(name, describe, new MetaRemote.Git(meta, configure), chunks);
        }
    }

    /** What happened to one ref. */
    public enum Outcome { NEW, FAST_FORWARD, FORCED, UP_TO_DATE, REJECTED }

    /** One ref: {@code from} (the sending side's name) to {@code to}, with the snapshots before and after. */
    public record RefUpdate(String from, String to, SnapshotId oldSnapshot, SnapshotId newSnapshot, Outcome outcome,
                            String why) {
        public boolean moved() {
            return outcome == Outcome.NEW || outcome == Outcome.FAST_FORWARD || outcome == Outcome.FORCED;
        }
    }

    /** What a transfer did; {@code remoteHead} is the branch the remote's HEAD names, when it says. */
    public record Result(List<RefUpdate> refs, int snapshots, long chunks, long bytes, String remoteHead) {
        public boolean anyRejected() {
            return refs.stream().anyMatch(r -> r.outcome() == Outcome.REJECTED);
        }
    }

    /** Live figures for a progress line. */
    public static final class Counters {
        public final LongAdder chunks = new LongAdder();
        public final LongAdder bytes = new LongAdder();
    }

    /**
     * Fetches every branch, tag and migration ({@link #MIGRATIONS}) of the remote that {@code mapping}
     * names a local ref for (null: not wanted). A remote-tracking ref ({@code refs/remotes/...}) always follows the remote; any
     * other existing ref moves only forward, or with {@code force}.
     *
     * @throws IOException when the transport fails midway (verified chunks are kept: run it again)
     */
    public static Result fetch(Repository repo, Remote remote, Function<String, String> mapping, boolean force,
                               Counters counters, Duration lockTimeout, Consumer<String> onWait) throws IOException {
        return fetch(repo, remote, mapping, force, false, counters, lockTimeout, onWait);
    }

    /**
     * As {@link #fetch(Repository, Remote, Function, boolean, Counters, Duration, Consumer)}; with
     * {@code lazy} only the page-tree nodes of the new snapshots move, not their pages (the leaves):
     * a lazy clone's fetch, whose remote is then the promisor of those pages (docs/remotes.md, "Lazy
     * clones"). The nodes give the image structure (which pages are zero, what a diff touches, the
     * read-ahead of a fault) for about 1/64 of a page's 32-byte id per page.
     */
    public static Result fetch(Repository repo, Remote remote, Function<String, String> mapping, boolean force,
                               boolean lazy, Counters counters, Duration lockTimeout, Consumer<String> onWait)
            throws IOException {
        Path tmpGit = Files.createTempDirectory("vmtree-fetch-", OwnerOnly.directory());
        try {
            MetaStore.init(tmpGit);
            Files.writeString(tmpGit.resolve("objects/info/alternates"),
                    repo.gitDirectory().resolve("objects").toAbsolutePath() + "\n");
            try (MetaStore scratch = MetaStore.open(tmpGit)) {
                Map<String, ObjectId> wanted = new LinkedHashMap<>();
                String head = fetchObjects(repo, scratch, remote, mapping, wanted);
                try (WriteTransaction tx = repo.beginWrite(lockTimeout, onWait)) {
                    Map<String, SnapshotId> here = repo.refs();
                    List<RefUpdate> plan = new ArrayList<>();
                    Map<String, ObjectId> raw = new LinkedHashMap<>();
                    int snapshots;
                    try (ObjectReader reader = scratch.newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
                        Map<String, RevCommit> tips = new LinkedHashMap<>();
                        for (var e : wanted.entrySet()) {
                            RevObject peeled = peel(remote, rw, e.getKey(), e.getValue());
                            tips.put(e.getKey(), (RevCommit) peeled);
                        }
                        for (var e : tips.entrySet()) {
                            String to = mapping.apply(e.getKey());
                            SnapshotId old = here.get(to);
                            SnapshotId now = new SnapshotId(e.getValue().name());
                            raw.put(e.getKey(), wanted.get(e.getKey()));
                            plan.add(decide(rw, e.getKey(), to, old, now, force || to.startsWith("refs/remotes/")));
                        }
                        snapshots = receiveChunks(repo, scratch, remote, rw, tips.values(), here.values(), tx, lazy,
                                counters);
                    }
                    tx.flush();
                    Bundle.importObjects(tmpGit, repo.gitDirectory());
                    if (remote.meta() instanceof ObjectMeta om) {
                        om.imported(om.downloaded());
                    }
                    List<RefUpdate> done = new ArrayList<>();
                    for (RefUpdate u : plan) {
                        if (!u.moved()) {
                            done.add(u);
                            continue;
                        }
                        RefResult r = tx.updateRef(u.to(), u.oldSnapshot(), new SnapshotId(raw.get(u.from()).name()),
                                "fetch " + remote.describe() + ": " + u.from());
                        done.add(r.ok() ? u : new RefUpdate(u.from(), u.to(), u.oldSnapshot(), u.newSnapshot(),
                                Outcome.REJECTED, "it moved here meanwhile (" + r.status() + ")"));
                    }
                    return new Result(done, snapshots, counters.chunks.sum(), counters.bytes.sum(), head);
                }
            }
        } finally {
            Bundle.deleteTree(tmpGit);
        }
    }

    /** Fetches the wanted refs' Git objects into {@code scratch}; returns the branch HEAD names, if any. */
    private static String fetchObjects(Repository repo, MetaStore scratch, Remote remote,
                                       Function<String, String> mapping, Map<String, ObjectId> wanted) {
        return switch (remote.meta()) {
            case MetaRemote.Git git -> fetchGitObjects(repo, scratch, remote, git, mapping, wanted);
            case ObjectMeta om -> fetchObjectMeta(scratch, remote, om, mapping, wanted);
        };
    }

    private static String fetchObjectMeta(MetaStore scratch, Remote remote, ObjectMeta om,
                                          Function<String, String> mapping, Map<String, ObjectId> wanted) {
        try {
            for (var e : om.refs().entrySet()) {
                String name = e.getKey();
                if (transferable(name) && mapping.apply(name) != null) {
                    wanted.put(name, e.getValue().id());
                }
            }
            if (!wanted.isEmpty()) {
                om.fetchObjects(scratch.git(), wanted.values());
            }
            return om.head();
        } catch (IOException e) {
            throw unreachable(remote, e);
        }
    }

    private static String fetchGitObjects(Repository repo, MetaStore scratch, Remote remote, MetaRemote.Git git,
                                          Function<String, String> mapping, Map<String, ObjectId> wanted) {
        String head = null;
        try {
            if (remote.chunks() instanceof RepositoryChunks rc) {
                rc.checkRefs(remote.describe());
            }
        } catch (IOException e) {
            throw unreachable(remote, e);
        }
        try (BoundedFetch db = new BoundedFetch(scratch.gitDir().toFile(), remote.describe());
             Transport t = open(db, git)) {
            t.setObjectChecker(new ObjectChecker());
            try (FetchConnection c = t.openFetch()) {
                List<Ref> want = new ArrayList<>();
                for (Ref r : c.getRefs()) {
                    if (r.getName().equals("HEAD") && r.isSymbolic()) {
                        head = r.getTarget().getName();
                    }
                    if (r.isSymbolic() || r.getObjectId() == null
                            || !transferable(r.getName())
                            || r.getName().endsWith("^{}") || mapping.apply(r.getName()) == null) {
                        continue;
                    }
                    wanted.put(r.getName(), r.getObjectId());
                    if (!scratch.git().getObjectDatabase().has(r.getObjectId())) {
                        want.add(r);
                    }
                }
                Set<ObjectId> haves = new HashSet<>();
                for (Ref r : repo.meta().git().getRefDatabase().getRefs()) {
                    if (r.getObjectId() != null) {
                        haves.add(r.getObjectId());
                    }
                }
                if (!want.isEmpty()) {
                    c.fetch(NullProgressMonitor.INSTANCE, want, haves);
                }
                for (PackLock l : c.getPackLocks()) {
                    l.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof StoreException se) {
                    throw se;           // ours, perhaps wrapped by JGit on the way out (BoundedFetch)
                }
            }
            throw new TransferException("cannot fetch from " + remote.describe() + ": " + oneLine(e), e);
        }
        return head;
    }

    /**
     * The scratch repository as a fetch writes to it: each Git pack a remote sends is read whole (at
     * most {@link Bundle#MAX_META}) and bounded by {@link GitPackBounds} before JGit's parser sees it,
     * since that parser allocates by what a pack declares (an object count of 2^31, a size past 64 bits)
     * before it checks anything. Dumb HTTP fetches objects and packs by other paths (docs/security.md).
     */
    static final class BoundedFetch extends org.eclipse.jgit.internal.storage.file.FileRepository {
        private final String remote;

        BoundedFetch(java.io.File gitDir, String remote) throws IOException {
            super(gitDir);
            this.remote = remote;
        }

        @Override
        public org.eclipse.jgit.lib.ObjectInserter newObjectInserter() {
            org.eclipse.jgit.lib.ObjectInserter real = super.newObjectInserter();
            return new org.eclipse.jgit.lib.ObjectInserter.Filter() {
                @Override
                protected org.eclipse.jgit.lib.ObjectInserter delegate() {
                    return real;
                }

                @Override
                public org.eclipse.jgit.transport.PackParser newPackParser(java.io.InputStream in) throws IOException {
                    return real.newPackParser(new java.io.ByteArrayInputStream(bounded(remote, in)));
                }
            };
        }
    }

    /** The Git pack of {@code in}, read whole, if {@link GitPackBounds} lets JGit parse it. */
    static byte[] bounded(String remote, java.io.InputStream in) throws IOException {
        byte[] pack = in.readNBytes((int) Bundle.MAX_META + 1);
        if (pack.length > Bundle.MAX_META) {
            throw new TransferException(remote + " sends more than " + (Bundle.MAX_META >> 20)
                    + " MiB of Git objects, more than this vmtree reads");
        }
        String why = GitPackBounds.checkPack(pack, 0, MetaStore.MAX_FILE);
        if (why != null) {
            throw new TransferException(remote + ": " + why + " (refused before parsing)");
        }
        return pack;
    }

    private static RevObject peel(Remote remote, RevWalk rw, String name, ObjectId id) throws IOException {
        RevObject peeled;
        try {
            peeled = rw.peel(rw.parseAny(id));
        } catch (MissingObjectException e) {
            throw new TransferException(remote.describe() + ": " + name + " names Git object " + id.name()
                    + ", which it did not send");
        }
        if (!(peeled instanceof RevCommit) || (!name.startsWith("refs/tags/") && !peeled.equals(id))) {
            throw new TransferException(remote.describe() + ": " + name + " does not name a snapshot");
        }
        return peeled;
    }

    /** How {@code to} would move from {@code old} to {@code now}; {@code force} allows any move. */
    private static RefUpdate decide(RevWalk rw, String from, String to, SnapshotId old, SnapshotId now, boolean force)
            throws IOException {
        if (old == null) {
            return new RefUpdate(from, to, null, now, Outcome.NEW, null);
        }
        if (old.equals(now)) {
            return new RefUpdate(from, to, old, now, Outcome.UP_TO_DATE, null);
        }
        boolean ff = !to.startsWith("refs/tags/") && isAncestor(rw, old, now);
        if (ff) {
            return new RefUpdate(from, to, old, now, Outcome.FAST_FORWARD, null);
        }
        if (force) {
            return new RefUpdate(from, to, old, now, Outcome.FORCED, null);
        }
        return new RefUpdate(from, to, old, now, Outcome.REJECTED, to.startsWith("refs/tags/")
                ? "the tag exists at another snapshot (--force moves it)"
                : "not a fast-forward (--force moves it)");
    }

    private static boolean isAncestor(RevWalk rw, SnapshotId old, SnapshotId now) throws IOException {
        try {
            rw.reset();
            return rw.isMergedInto(rw.parseCommit(ObjectId.fromString(old.hex())),
                    rw.parseCommit(ObjectId.fromString(now.hex())));
        } catch (MissingObjectException e) {
            return false;
        } finally {
            rw.reset();
        }
    }

    /** A chunk of a page tree and its level (0: a page). */
    record Item(ChunkId id, int level) {}

    /**
     * The commits reachable from {@code tips} and not from {@code bases}, newest first; adds to
     * {@code seen} every chunk of the boundary snapshots (the bases next to them, read here), which
     * the other side is known to hold. A base this repository cannot read (a ref of ours naming a
     * damaged snapshot: fsck reports it) is no base.
     */
    private static List<RevCommit> newCommits(Repository repo, RevWalk rw, Collection<RevCommit> tips,
                                              Collection<SnapshotId> bases, Set<ChunkId> seen) throws IOException {
        rw.reset();
        rw.sort(RevSort.BOUNDARY);
        for (RevCommit c : tips) {
            rw.markStart(rw.parseCommit(c));
        }
        for (SnapshotId s : bases) {
            try {
                rw.markUninteresting(rw.parseCommit(ObjectId.fromString(s.hex())));
            } catch (MissingObjectException e) {
                // not a base
            }
        }
        List<RevCommit> fresh = new ArrayList<>();
        for (RevCommit c; (c = rw.next()) != null; ) {
            if (c.has(RevFlag.UNINTERESTING)) {
                for (PageTreeRoot t : repo.meta().read(new SnapshotId(c.name())).content().images().values()) {
                    PageTree.forEachChunk(repo.chunks(), t, seen, id -> {});
                }
            } else {
                fresh.add(c);
            }
        }
        return fresh;
    }

    /**
     * Walks the snapshots reachable from {@code tips} and not from {@code local}, and fetches every
     * chunk of theirs this repository lacks, level by level (a level's nodes must be here before
     * their children are known), each batch read from the remote in as few requests as it can.
     * Chunks of the boundary snapshots (ours, next to the new ones) are known present and skipped;
     * any other present node is still descended, so a fetch that stopped midway completes.
     */
    private static int receiveChunks(Repository repo, MetaStore scratch, Remote remote, RevWalk rw,
                                     Collection<RevCommit> tips, Collection<SnapshotId> local, WriteTransaction tx,
                                     boolean lazy, Counters counters) throws IOException {
        List<PageTreeRoot> roots = new ArrayList<>();
        Set<ChunkId> seen = new HashSet<>();
        int snapshots = 0;
        for (RevCommit c : newCommits(repo, rw, tips, local, seen)) {
            Snapshot snap;
            try {
                snap = scratch.read(new SnapshotId(c.name()));
            } catch (StoreException | IllegalArgumentException e) {
                throw new TransferException(remote.describe() + ": snapshot " + c.name() + " is unreadable: "
                        + e.getMessage());
            }
            snapshots++;
            roots.addAll(snap.content().images().values());
        }
        List<Item> frontier = new ArrayList<>();
        for (PageTreeRoot t : roots) {
            if (!t.root().isZero() && seen.add(t.root())) {
                frontier.add(new Item(t.root(), t.depth()));
            }
        }
        descend(repo, remote, frontier, seen, tx, lazy, counters);
        return snapshots;
    }

    /** What {@link #descend} walked: the chunks it reached, and how many of them were absent here and fetched. */
    record Walked(long reached, long absent) {}

    /**
     * Fetches every chunk under {@code frontier} that this repository lacks, level by level (a
     * level's nodes must be here before their children are known), each level's batch read from the
     * remote in as few requests as it can; {@code seen} holds the chunks not to descend again, and
     * {@code lazy} leaves the pages promised (nodes only). Staged chunks are published at least every
     * {@link #FLUSH_EVERY} bytes and when the transport fails, so a run that stopped resumes there.
     */
    static Walked descend(Repository repo, Remote remote, List<Item> frontier, Set<ChunkId> seen, WriteTransaction tx,
                          boolean lazy, Counters counters) throws IOException {
        ChunkWriter writer = tx.chunks();
        long flushedAt = writer.storedBytes();
        long reached = 0;
        long absent = 0;
        try {
            while (!frontier.isEmpty()) {
                reached += frontier.size();
                List<ChunkId> missing = new ArrayList<>();
                for (Item i : frontier) {
                    if ((i.level() > 0 || !lazy) && !repo.chunks().contains(i.id())) {
                        missing.add(i.id());   // lazy: the pages stay promised
                    }
                }
                absent += missing.size();
                receiveAll(repo, remote, missing, writer, counters);
                List<Item> next = new ArrayList<>();
                for (Item i : frontier) {
                    if (i.level() == 0) {
                        continue;
                    }
                    ChunkId[] children;
                    try {
                        children = PageTree.decodeNode(repo.chunks(), i.id());
                    } catch (IllegalArgumentException e) {
                        throw new TransferException(remote.describe() + ": page-tree node " + i.id().hex()
                                + " is malformed: " + e.getMessage());
                    }
                    for (ChunkId child : children) {
                        if (!child.isZero() && seen.add(child)) {
                            next.add(new Item(child, i.level() - 1));
                        }
                    }
                }
                frontier = next;
                if (writer.storedBytes() - flushedAt >= FLUSH_EVERY) {
                    tx.flush();
                    flushedAt = writer.storedBytes();
                }
            }
        } catch (IOException e) {
            tx.flush();  // every staged chunk was verified: keep them, so the next run resumes here
            throw e;
        }
        return new Walked(reached, absent);
    }

    /** Records are read, verified on all cores and stored this many at a time. */
    static final int SLICE = 4096;

    /** One slice read and verified, ready to stage; {@code cut} is the transport failure that ended it early. */
    private record Verified(List<ChunkId> ids, List<byte[]> records, int[] raw, IOException cut) {}

    /** Reads {@code ids} from the remote and verifies each record on all cores. */
    private static Verified readVerified(Remote remote, List<ChunkId> ids) throws IOException {
        List<ChunkId> got = new ArrayList<>(ids.size());
        List<byte[]> recs = new ArrayList<>(ids.size());
        IOException cut = null;
        try {
            remote.chunks().read(ids, (id, buf, off, len) -> {
                got.add(id);
                // a remote never reuses a buffer it handed over: one that holds just this record is kept as it is
                recs.add(off == 0 && len == buf.length ? buf : Arrays.copyOfRange(buf, off, off + len));
            });
        } catch (IOException e) {
            cut = e;  // keep what arrived before the cut: verified and staged, then rethrown
        }
        int[] raw = new int[got.size()];
        java.util.concurrent.atomic.AtomicReference<ChunkId> bad = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            Parallel.run(got.size(), i -> {
                try {
                    raw[i] = ChunkCodec.decode(recs.get(i), recs.get(i).length, got.get(i), true).length;
                } catch (ChunkCodec.DamagedRecordException e) {
                    bad.compareAndSet(null, got.get(i));
                    throw new TransferException(remote.describe() + ": chunk " + got.get(i).hex() + " is damaged or forged: "
                            + e.getMessage());
                }
            });
        } catch (TransferException e) {
            if (bad.get() != null) {
                remote.chunks().distrust(bad.get());
            }
            throw e;
        }
        return new Verified(got, recs, raw, cut);
    }

    /** Appends the verified records this repository still lacks to the open pack. */
    private static void stage(Repository repo, Verified v, ChunkWriter writer, Counters counters) {
        for (int i = 0; i < v.ids().size(); i++) {
            if (!repo.chunks().contains(v.ids().get(i))) {
                writer.copy(v.ids().get(i), v.records().get(i), v.raw()[i]);
            }
            counters.chunks.increment();
            counters.bytes.add(v.records().get(i).length);
        }
    }

    /**
     * Receives {@code missing} slice by slice, staging one slice on a thread of its own while the
     * next is read and verified (the pack append and the network or disk reads overlap); returns
     * when every slice is staged, rethrowing the first failure.
     */
    static void receiveAll(Repository repo, Remote remote, List<ChunkId> missing, ChunkWriter writer,
                           Counters counters) throws IOException {
        Thread staging = null;
        RuntimeException[] failed = {null};
        try {
            for (int from = 0; from < missing.size(); from += SLICE) {
                Verified v = readVerified(remote, missing.subList(from, Math.min(missing.size(), from + SLICE)));
                join(staging, failed);
                staging = Thread.ofPlatform().name("vmtree-fetch-stage").start(() -> {
                    try {
                        stage(repo, v, writer, counters);
                    } catch (RuntimeException e) {
                        failed[0] = e;
                    }
                });
                if (v.cut() != null) {
                    join(staging, failed);
                    throw v.cut();
                }
            }
        } finally {
            join(staging, failed);
        }
    }

    private static void join(Thread t, RuntimeException[] failed) {
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;  // the staging thread holds the writer: it must finish first
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failed[0] != null) {
            RuntimeException e = failed[0];
            failed[0] = null;
            throw e;
        }
    }

    /**
     * Pushes {@code refs} (a local full ref name to the remote's full name for it). A remote ref
     * moves only forward unless {@code force}; a remote tag never moves without it. Remote-tracking
     * refs {@code refs/remotes/NAME/BRANCH} follow the branches pushed.
     */
    public static Result push(Repository repo, Remote remote, Map<String, String> refs, boolean force, Counters counters,
                              Duration lockTimeout, Consumer<String> onWait) throws IOException {
        Map<String, Ref> advertised;
        Map<String, ObjectMeta.Version> versions = null;
        if (remote.meta() instanceof ObjectMeta om) {
            try {
                versions = om.refs();
            } catch (IOException e) {
                throw unreachable(remote, e);
            }
            advertised = advertise(repo, versions);
        } else {
            try (Transport t = open(repo.meta().git(), (MetaRemote.Git) remote.meta()); PushConnection c = t.openPush()) {
                advertised = c.getRefsMap();
            } catch (IOException | RuntimeException e) {
                throw unreachable(remote, e);
            }
        }
        Map<String, SnapshotId> here = repo.refs();
        List<RefUpdate> plan = new ArrayList<>();
        Map<String, ObjectId> rawNew = new LinkedHashMap<>();
        List<SnapshotId> bases = new ArrayList<>();
        int snapshots = 0;
        try (ObjectReader reader = repo.meta().newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
            for (Ref a : advertised.values()) {
                ObjectId p = a.getPeeledObjectId() != null ? a.getPeeledObjectId() : a.getObjectId();
                if (p != null && repo.meta().git().getObjectDatabase().has(p)) {
                    try {
                        bases.add(new SnapshotId(rw.parseCommit(p).name()));
                    } catch (org.eclipse.jgit.errors.IncorrectObjectTypeException e) {
                        // not a commit: no snapshot to share
                    }
                }
            }
            for (var e : refs.entrySet()) {
                Ref lr = repo.meta().git().getRefDatabase().exactRef(e.getKey());
                SnapshotId now = here.get(e.getKey());
                if (lr == null || now == null) {
                    throw new TransferException("no branch or tag named " + e.getKey() + " here");
                }
                rawNew.put(e.getKey(), lr.getObjectId());
                Ref a = advertised.get(e.getValue());
                SnapshotId old = null;
                if (a != null) {
                    ObjectId p = a.getPeeledObjectId() != null ? a.getPeeledObjectId() : a.getObjectId();
                    old = new SnapshotId(p.name());
                }
                if (a != null && a.getObjectId().equals(lr.getObjectId())) {
                    plan.add(new RefUpdate(e.getKey(), e.getValue(), old, now, Outcome.UP_TO_DATE, null));
                } else if (old != null && !repo.meta().git().getObjectDatabase().has(ObjectId.fromString(old.hex()))
                        && !force) {
                    plan.add(new RefUpdate(e.getKey(), e.getValue(), old, now, Outcome.REJECTED,
                            "the remote has a snapshot this repository lacks (fetch first, or --force)"));
                } else {
                    plan.add(decide(rw, e.getKey(), e.getValue(), old, now, force));
                }
            }
            List<RevCommit> tips = new ArrayList<>();
            for (RefUpdate u : plan) {
                if (u.moved()) {
                    tips.add(rw.parseCommit(ObjectId.fromString(u.newSnapshot().hex())));
                }
            }
            if (!tips.isEmpty()) {
                snapshots = sendChunks(repo, remote, rw, tips, bases, counters);
            }
        }
        List<RemoteRefUpdate> updates = new ArrayList<>();
        for (RefUpdate u : plan) {
            if (u.moved()) {
                Ref a = advertised.get(u.to());
                updates.add(new RemoteRefUpdate(repo.meta().git(), (String) null, rawNew.get(u.from()), u.to(),
                        u.outcome() == Outcome.FORCED, null, a == null ? ObjectId.zeroId() : a.getObjectId()));
            }
        }
        Map<String, RemoteRefUpdate.Status> statuses = new LinkedHashMap<>();
        Map<String, String> messages = new LinkedHashMap<>();
        if (!updates.isEmpty() && remote.meta() instanceof ObjectMeta om) {
            updateObjectMeta(repo, remote, om, plan, rawNew, advertised, versions, statuses);
        } else if (!updates.isEmpty()) {
            try (Transport t = open(repo.meta().git(), (MetaRemote.Git) remote.meta())) {
                PushResult pr = t.push(NullProgressMonitor.INSTANCE, updates);
                for (RemoteRefUpdate r : pr.getRemoteUpdates()) {
                    statuses.put(r.getRemoteName(), r.getStatus());
                    messages.put(r.getRemoteName(), r.getMessage());
                }
            } catch (IOException | RuntimeException e) {
                throw unreachable(remote, e);
            }
        }
        List<RefUpdate> done = new ArrayList<>();
        for (RefUpdate u : plan) {
            RemoteRefUpdate.Status s = statuses.get(u.to());
            if (u.moved() && s != RemoteRefUpdate.Status.OK) {
                done.add(new RefUpdate(u.from(), u.to(), u.oldSnapshot(), u.newSnapshot(), Outcome.REJECTED,
                        s == RemoteRefUpdate.Status.REJECTED_REMOTE_CHANGED ? "it moved on the remote meanwhile (fetch first)"
                                : "the remote refused it (" + s + (messages.get(u.to()) == null ? "" : ": "
                                + messages.get(u.to())) + ")"));
            } else {
                done.add(u);
            }
        }
        if (remote.name() != null) {
            track(repo, remote, done, lockTimeout, onWait);
        }
        return new Result(done, snapshots, counters.chunks.sum(), counters.bytes.sum(), null);
    }

    /**
     * The refs of an object-layout remote as a Git server would advertise them: a tag peeled to
     * its snapshot where this repository holds the tag object.
     */
    private static Map<String, Ref> advertise(Repository repo, Map<String, ObjectMeta.Version> versions) {
        Map<String, Ref> out = new LinkedHashMap<>();
        try (RevWalk rw = new RevWalk(repo.meta().git())) {
            for (var e : versions.entrySet()) {
                ObjectId id = e.getValue().id();
                ObjectId peeled = null;
                try {
                    RevObject o = rw.peel(rw.parseAny(id));
                    if (!o.equals(id)) {
                        peeled = o.copy();
                    }
                } catch (IOException ex) {
                    // not here: the plan treats it as a snapshot this repository lacks
                }
                out.put(e.getKey(), peeled == null
                        ? new org.eclipse.jgit.lib.ObjectIdRef.PeeledNonTag(Ref.Storage.NETWORK, e.getKey(), id)
                        : new org.eclipse.jgit.lib.ObjectIdRef.PeeledTag(Ref.Storage.NETWORK, e.getKey(), id, peeled));
            }
        }
        return out;
    }

    /**
     * The ref updates of a push to an object-layout remote: one Git pack of the new objects, then
     * each ref advanced from the version read at the start (a conditional create: a ref that moved
     * meanwhile is refused, or with force read again and moved anyway).
     */
    private static void updateObjectMeta(Repository repo, Remote remote, ObjectMeta om, List<RefUpdate> plan,
                                         Map<String, ObjectId> rawNew, Map<String, Ref> advertised,
                                         Map<String, ObjectMeta.Version> versions,
                                         Map<String, RemoteRefUpdate.Status> statuses) {
        try {
            Set<ObjectId> want = new HashSet<>();
            for (RefUpdate u : plan) {
                if (u.moved()) {
                    want.add(rawNew.get(u.from()));
                }
            }
            Set<ObjectId> have = new HashSet<>();
            for (Ref a : advertised.values()) {
                if (repo.meta().git().getObjectDatabase().has(a.getObjectId())) {
                    have.add(a.getObjectId());
                }
            }
            om.pushObjects(repo.meta().git(), want, have);
            for (RefUpdate u : plan) {
                if (!u.moved()) {
                    continue;
                }
                ObjectMeta.Version from = versions.get(u.to());
                boolean ok = om.advance(u.to(), from, rawNew.get(u.from()));
                for (int attempt = 0; !ok && u.outcome() == Outcome.FORCED && attempt < 8; attempt++) {
                    from = om.refs().get(u.to());  // forced: whatever it is now, it moves
                    ok = om.advance(u.to(), from, rawNew.get(u.from()));
                }
                statuses.put(u.to(), ok ? RemoteRefUpdate.Status.OK : RemoteRefUpdate.Status.REJECTED_REMOTE_CHANGED);
            }
        } catch (IOException e) {
            throw unreachable(remote, e);
        }
    }

    /** Moves refs/remotes/NAME/BRANCH to what each pushed branch now is on the remote. */
    private static void track(Repository repo, Remote remote, List<RefUpdate> done, Duration lockTimeout,
                              Consumer<String> onWait) {
        try (WriteTransaction tx = repo.beginWrite(lockTimeout, onWait)) {
            Map<String, SnapshotId> here = repo.refs();
            for (RefUpdate u : done) {
                boolean branch = u.to().startsWith("refs/heads/");
                if ((u.moved() || u.outcome() == Outcome.UP_TO_DATE) && (branch || u.to().startsWith(MIGRATIONS))) {
                    // a branch as NAME/BRANCH, a migration as NAME/migrations/INSTANCE (as a fetch maps them)
                    String tracking = "refs/remotes/" + remote.name() + "/"
                            + u.to().substring(branch ? "refs/heads/".length() : "refs/".length());
                    SnapshotId old = here.get(tracking);
                    if (!u.newSnapshot().equals(old)) {
                        tx.updateRef(tracking, old, u.newSnapshot(), "push " + remote.describe());
                    }
                }
            }
        }
    }

    /** Uploads every chunk of the new snapshots that the remote lacks, then publishes them there. */
    private static int sendChunks(Repository repo, Remote remote, RevWalk rw, List<RevCommit> tips,
                                  List<SnapshotId> bases, Counters counters) throws IOException {
        Set<ChunkId> seen = new HashSet<>();
        List<Snapshot> fresh = new ArrayList<>();
        for (RevCommit c : newCommits(repo, rw, tips, bases, seen)) {
            fresh.add(repo.meta().read(new SnapshotId(c.name())));
        }
        List<ChunkId> send = new ArrayList<>();
        IOException[] failed = {null};
        for (Snapshot s : fresh) {
            for (PageTreeRoot t : s.content().images().values()) {
                PageTree.forEachChunk(repo.chunks(), t, seen, id -> {
                    try {
                        if (failed[0] == null && !remote.chunks().has(id)) {
                            send.add(id);
                        }
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                });
            }
        }
        if (failed[0] != null) {
            throw failed[0];
        }
        repo.chunks().fetchAbsent(send);    // a lazy clone brings what it lacks from its promisor first
        try (ChunkRemote.Upload up = remote.chunks().upload()) {
            for (int from = 0; from < send.size(); from += SLICE) {
                List<ChunkId> slice = send.subList(from, Math.min(send.size(), from + SLICE));
                byte[][] recs = new byte[slice.size()][];
                int[] raw = new int[slice.size()];
                for (int i = 0; i < recs.length; i++) {
                    ChunkStore.Stored st;
                    try {
                        st = repo.chunks().stored(slice.get(i));
                    } catch (ChunkCodec.DamagedRecordException e) {
                        throw damaged(slice.get(i), e);
                    }
                    if (st == null) {
                        throw new StoreException("chunk " + slice.get(i).shortHex() + " is missing from the store (run `vmtree fsck`)");
                    }
                    recs[i] = st.record();
                    raw[i] = st.rawLength();
                }
                Parallel.run(recs.length, i -> {
                    try {
                        ChunkCodec.decode(recs[i], recs[i].length, slice.get(i), true);  // never ship damage
                    } catch (ChunkCodec.DamagedRecordException e) {
                        throw damaged(slice.get(i), e);
                    }
                });
                for (int i = 0; i < recs.length; i++) {
                    up.put(slice.get(i), recs[i], raw[i]);
                    counters.chunks.increment();
                    counters.bytes.add(recs[i].length);
                }
            }
            up.publish();
        }
        return fresh.size();
    }

    private static StoreException damaged(ChunkId id, ChunkCodec.DamagedRecordException e) {
        return new StoreException("cannot push damaged chunk " + id.shortHex() + ": " + e.getMessage() + " (run `vmtree fsck`)");
    }

    private static Transport open(org.eclipse.jgit.lib.Repository db, MetaRemote.Git git) throws IOException {
        Transport t = Transport.open(db, git.uri());
        if (git.configure() != null) {
            git.configure().accept(t);
        }
        return t;
    }

    private static TransferException unreachable(Remote remote, Exception e) {
        if (e instanceof TransferException te) {
            return te;
        }
        return new TransferException("cannot reach " + remote.describe() + ": " + oneLine(e), e);
    }

    static String oneLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
