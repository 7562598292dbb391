package dev.vmtree.store;

import dev.vmtree.store.fs.OwnerOnly;
import dev.vmtree.store.pack.ChunkCodec;
import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.BundleWriter;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.PackLock;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportBundleStream;
import org.eclipse.jgit.transport.URIish;

/**
 * Bundles (docs/format.md, "Bundle"): one tar file carrying snapshots to another repository, with
 * the snapshot commits as a Git bundle and the chunks they need as one pack and index in the store's
 * own format. {@link #create} writes one; {@link #read} checks one completely and, when asked,
 * imports it: chunks are verified and published first, then the Git objects, and only then are refs
 * moved, so nothing unverified is ever visible under a ref and a failure before the refs leaves
 * every ref as it was.
 */
public final class Bundle {
    private Bundle() {}

    static final String HEADER = "vmtree-bundle";
    static final String META = "meta.bundle";
    static final String INDEX = "chunks.idx";
    static final String PACK = "chunks.pack";
    /** Bounds on what a reader holds in memory: the Git bundle and the index. */
    static final long MAX_META = 256L << 20;
    static final long MAX_INDEX = 128L << 20;
    /** What the tar layer may read besides declared entry data: headers, PAX records, long names, padding. */
    static final long MAX_TAR_HEADERS = 64 << 10;
    private static final int TAR_RECORD = 512;
    /** The budget of the bundle being read on this thread (the reading helpers are static). */
    private static final ThreadLocal<Budget> BUDGET = new ThreadLocal<>();
    private static final int MAX_RECORD = PackFormat.RECORD_HEADER + PackFormat.MAX_CHUNK + (PackFormat.MAX_CHUNK >> 7)
            + 64 + PackFormat.RECORD_TRAILER;

    /** How a ref of the bundle relates to this repository's ref of the same name. */
    public record RefChange(String name, SnapshotId here, SnapshotId bundled) {
        public boolean moves() {
            return here != null && !here.equals(bundled);
        }
    }

    /** What a bundle carries and, after {@code unbundle}, what it did. */
    public record Summary(BundleHeader header, int snapshots, long fileBytes, long newChunks, List<RefChange> refs) {}

    /** The receiver would have to move a ref to another snapshot and was not told to (--force). */
    public static final class RefusedException extends StoreException {
        RefusedException(String message) {
            super(message);
        }
    }

    /**
     * Writes {@code file} (atomically: a temporary file renamed over it) carrying {@code refs} (full
     * names and their snapshots) and every snapshot they reach that {@code bases} do not, with the
     * chunks those need that the bases' snapshots do not have.
     */
    public static Summary create(Repository repo, Path file, Map<String, SnapshotId> refs, List<SnapshotId> bases) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Path spool = file.resolveSibling(file.getFileName() + ".pack.tmp");
        try {
            Set<ChunkId> seen = new HashSet<>();
            Reachable.walk(repo.meta(), repo.chunks(), bases, List.of(), seen, s -> {}, id -> {});
            List<ChunkId> wanted = new ArrayList<>();
            int[] snapshots = {0};
            Reachable.walk(repo.meta(), repo.chunks(), refs.values(), bases, seen, s -> snapshots[0]++, wanted::add);
            List<PackIndex.Entry> entries = new ArrayList<>();
            long raw = 0;
            long pos;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool), 1 << 16)) {
                out.write(PackFormat.packHeader());
                pos = PackFormat.PACK_HEADER;
                repo.chunks().fetchAbsent(wanted);    // a lazy clone brings what it lacks from its promisor first
                for (ChunkId id : wanted) {
                    ChunkStore.Stored st = repo.chunks().stored(id);
                    if (st == null) {
                        throw new StoreException("chunk " + id.shortHex() + " is missing from the store (run `vmtree fsck`)");
                    }
                    byte[] rec = st.record();
                    ChunkCodec.decode(rec, rec.length, id, true); // never ship damage
                    out.write(rec);
                    entries.add(new PackIndex.Entry(id, pos, rec.length, st.rawLength()));
                    pos += rec.length;
                    raw += st.rawLength();
                }
            }
            byte[] index = PackIndex.encode(entries.toArray(PackIndex.Entry[]::new), pos);
            byte[] meta = gitBundle(repo, refs, bases);
            BundleHeader header = new BundleHeader(refs, bases, meta.length, index.length, pos, entries.size(), raw);
            try (OutputStream os = Files.newOutputStream(tmp);
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(os, 1 << 16))) {
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                put(tar, HEADER, header.encode());
                put(tar, META, meta);
                put(tar, INDEX, index);
                TarArchiveEntry e = new TarArchiveEntry(PACK);
                e.setSize(pos);
                tar.putArchiveEntry(e);
                Files.copy(spool, tar);
                tar.closeArchiveEntry();
                tar.finish();
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new Summary(header, snapshots[0], Files.size(file), entries.size(), List.of());
        } catch (ChunkCodec.DamagedRecordException e) {
            throw new StoreException("cannot bundle a damaged chunk: " + e.getMessage() + " (run `vmtree fsck`)", e);
        } catch (IOException e) {
            throw new StoreException("cannot write bundle " + file + ": " + dev.vmtree.store.fs.IoErrors.reason(e), e);
        } finally {
            try {
                Files.deleteIfExists(spool);
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover temporary file next to the bundle says what it is by its name
            }
        }
    }

    private static byte[] gitBundle(Repository repo, Map<String, SnapshotId> refs, List<SnapshotId> bases) throws IOException {
        try (ObjectReader reader = repo.meta().newVerifyingReader(); RevWalk rw = new RevWalk(reader)) {
            BundleWriter w = new BundleWriter(reader);
            for (var e : refs.entrySet()) {
                // an annotated (signed) tag travels as its tag object, so its signature can be verified there
                Ref r = repo.meta().git().getRefDatabase().exactRef(e.getKey());
                ObjectId raw = r != null && r.getObjectId() != null ? r.getObjectId() : ObjectId.fromString(e.getValue().hex());
                if (!ObjectId.fromString(e.getValue().hex()).equals(rw.peel(rw.parseAny(raw)))) {
                    raw = ObjectId.fromString(e.getValue().hex());  // the ref moved since it was read: take the snapshot
                }
                w.include(e.getKey(), raw);
            }
            for (SnapshotId b : bases) {
                w.assume(rw.parseCommit(ObjectId.fromString(b.hex())));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            w.writeBundle(NullProgressMonitor.INSTANCE, out);
            return out.toByteArray();
        }
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    /**
     * Checks every entry of {@code file}, every chunk's hash and that this repository has every
     * snapshot and chunk the bundle assumes; with {@code apply}, imports it and creates or moves its
     * refs (a ref already at another snapshot only with {@code force}). Throws
     * {@link BundleException} for a bundle that cannot be used and {@link RefusedException} for a
     * ref it will not move, both before anything is written. Takes the writer lock: the chunks are
     * staged in an unpublished pack, which a check alone deletes.
     */
    public static Summary read(Repository repo, Path file, boolean apply, boolean force, Duration lockTimeout,
                               Consumer<String> onWait) {
        Path tmpGit = null;
        Budget budget;
        try (InputStream in = Files.newInputStream(file);
             TarArchiveInputStream tar = new TarArchiveInputStream(
                     budget = new Budget(new BufferedInputStream(in, 1 << 16)))) {
            BUDGET.set(budget);
            TarArchiveEntry he = next(file, tar, HEADER, -1);
            if (he.getSize() < 0 || he.getSize() > BundleHeader.MAX_BYTES) {
                throw bad(file, "its header is " + he.getSize() + " bytes, more than a header may be");
            }
            BundleHeader h;
            try {
                h = BundleHeader.decode(bytes(file, tar, HEADER, (int) he.getSize()));
            } catch (IllegalArgumentException e) {
                throw bad(file, e.getMessage());
            }
            if (h.metaBytes() > MAX_META || h.indexBytes() > MAX_INDEX) {
                throw bad(file, "it declares entries larger than this vmtree reads");
            }
            // the count is bounded first, so the product below cannot wrap around to a matching size
            if (h.chunks() > MAX_INDEX / PackFormat.INDEX_ENTRY
                    || h.indexBytes() != PackFormat.INDEX_HEADER + 4 + h.chunks() * PackFormat.INDEX_ENTRY) {
                throw bad(file, "its header declares " + h.chunks() + " chunks but an index of " + h.indexBytes() + " bytes");
            }
            for (SnapshotId b : h.bases()) {
                if (!hasCommit(repo, b)) {
                    throw bad(file, "it is thin against snapshot " + b.shortHex() + ", which this repository lacks");
                }
            }
            List<RefChange> changes = new ArrayList<>();
            Map<String, SnapshotId> here = repo.refs();
            h.refs().forEach((name, id) -> changes.add(new RefChange(name, here.get(name), id)));
            String clash = clash(h.refs().keySet(), here.keySet());
            if (clash != null) {
                throw bad(file, clash);
            }
            if (apply && !force) {
                for (RefChange c : changes) {
                    if (c.moves()) {
                        throw new RefusedException(c.name() + " is at " + c.here().shortHex() + " here and at "
                                + c.bundled().shortHex() + " in " + file + "; nothing was imported (--force moves it)");
                    }
                }
            }
            next(file, tar, META, h.metaBytes());
            byte[] meta = bytes(file, tar, META, (int) h.metaBytes());
            String unbounded = GitPackBounds.check(meta, MetaStore.MAX_FILE);
            if (unbounded != null) {
                throw bad(file, META + ": " + unbounded);
            }
            next(file, tar, INDEX, h.indexBytes());
            PackIndex idx;
            try {
                idx = PackIndex.decode(bytes(file, tar, INDEX, (int) h.indexBytes()));
            } catch (IllegalArgumentException e) {
                throw bad(file, INDEX + ": " + e.getMessage());
            }
            if (idx.packLength() != h.packBytes()) {
                throw bad(file, INDEX + " covers " + idx.packLength() + " bytes of the pack, the header declares "
                        + h.packBytes());
            }
            next(file, tar, PACK, h.packBytes());
            try (WriteTransaction tx = repo.beginWrite(lockTimeout, onWait)) {
                long fresh = stage(file, tar, h, idx, repo, tx.chunks());
                budget().allow(MAX_TAR_HEADERS, "the tar data after " + PACK + " is larger than "
                        + (MAX_TAR_HEADERS >> 10) + " KiB");
                TarArchiveEntry extra = tar.getNextEntry();
                if (extra != null) {
                    throw bad(file, "unexpected entry '" + printable(extra.getName()) + "' after " + PACK);
                }
                tmpGit = Files.createTempDirectory("vmtree-bundle-", OwnerOnly.directory()); // it borrows our objects
                Map<String, ObjectId> raw = new LinkedHashMap<>();
                int snapshots = checkMeta(file, repo, tmpGit, meta, h, idx, raw);
                if (!apply) {
                    return new Summary(h, snapshots, Files.size(file), fresh, changes);
                }
                tx.flush();                                   // chunks durable and published
                importObjects(tmpGit, repo.gitDirectory());  // then the commits, still unnamed
                for (RefChange c : changes) {                 // and only then the names
                    if (c.bundled().equals(c.here())) {
                        continue;
                    }
                    // the ref names the bundle's object: the commit, or an annotated tag's tag object
                    RefResult r = tx.updateRef(c.name(), c.here(), new SnapshotId(raw.get(c.name()).name()),
                            "unbundle: " + file.getFileName());
                    if (!r.ok()) {
                        throw new StoreException("cannot move " + c.name() + " to " + c.bundled().shortHex() + " ("
                                + r.status() + "); refs before it in the bundle were moved");
                    }
                }
                return new Summary(h, snapshots, Files.size(file), fresh, changes);
            }
        } catch (IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof Budget.Exceeded x) {
                    throw bad(file, x.getMessage());
                }
            }
            throw bad(file, "it is truncated or unreadable (" + dev.vmtree.store.fs.IoErrors.reason(e) + ")");
        } finally {
            BUDGET.remove();
            if (tmpGit != null) {
                deleteTree(tmpGit);
            }
        }
    }

    /** Verifies every record of the pack entry and stages those the store lacks; returns how many. */
    private static long stage(Path file, TarArchiveInputStream tar, BundleHeader h, PackIndex idx, Repository repo,
                              ChunkWriter writer) throws IOException {
        byte[] head = bytes(file, tar, PACK, PackFormat.PACK_HEADER);
        ByteBuffer hb = ByteBuffer.wrap(head);
        byte[] magic = new byte[8];
        hb.get(magic);
        if (!Arrays.equals(magic, PackFormat.PACK_MAGIC) || hb.getInt() != PackFormat.VERSION
                || hb.getInt() != PackFormat.PACK_HEADER) {
            throw bad(file, PACK + " is not a version 1 vmtree pack");
        }
        Integer[] order = new Integer[idx.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(idx::offset));
        long pos = PackFormat.PACK_HEADER;
        long raw = 0;
        long fresh = 0;
        for (int i : order) {
            ChunkId id = idx.id(i);
            int len = idx.recordLength(i);
            if (idx.offset(i) != pos || len > MAX_RECORD) {
                throw bad(file, PACK + ": the index's records do not lie back to back (chunk " + id.shortHex() + ")");
            }
            byte[] rec = bytes(file, tar, PACK, len);
            ByteBuffer rb = ByteBuffer.wrap(rec);
            int encoding = rb.get(0) & 0xff;
            int rawLength = rb.getInt(4);
            int stored = rb.getInt(8);
            if (rawLength != idx.rawLength(i)) {
                throw bad(file, "chunk " + id.hex() + ": its record and the index disagree on its size");
            }
            // LZ4 expands at most about 255 times; a record claiming more is a decompression bomb.
            if (encoding == PackFormat.ENCODING_LZ4 && rawLength > 256L * Math.max(0, stored) + 64) {
                throw bad(file, "chunk " + id.hex() + " declares " + rawLength + " bytes from " + stored
                        + " compressed: more than LZ4 can expand (a decompression bomb)");
            }
            try {
                ChunkCodec.decode(rec, len, id, true);
            } catch (ChunkCodec.DamagedRecordException e) {
                throw bad(file, "chunk " + id.hex() + ": " + e.getMessage());
            }
            if (repo.chunks().locate(id) == null && !writer.hasPending(id)) {
                writer.copy(id, rec, rawLength);
                fresh++;
            }
            raw += rawLength;
            pos += len;
        }
        if (pos != h.packBytes()) {
            throw bad(file, PACK + " holds " + (h.packBytes() - pos) + " bytes no index entry names");
        }
        if (raw != h.rawBytes()) {
            throw bad(file, "its chunks hold " + raw + " bytes, the header declares " + h.rawBytes());
        }
        return fresh;
    }

    /**
     * Fetches the Git bundle into a scratch repository that borrows this one's objects, checks that
     * its refs are the header's, and walks every snapshot it brings: each chunk they name must be
     * in the bundle or already here, and each chunk of the bundle must be named.
     */
    private static int checkMeta(Path file, Repository repo, Path tmpGit, byte[] meta, BundleHeader h, PackIndex idx,
                                 Map<String, ObjectId> raw) throws IOException {
        MetaStore.init(tmpGit);
        Files.writeString(tmpGit.resolve("objects/info/alternates"),
                repo.gitDirectory().resolve("objects").toAbsolutePath() + "\n");
        try (MetaStore scratch = MetaStore.open(tmpGit)) {
            // JGit accepts a prerequisite only when a ref reaches it.
            for (int i = 0; i < h.bases().size(); i++) {
                org.eclipse.jgit.lib.RefUpdate ru = scratch.git().updateRef("refs/bases/" + i);
                ru.setNewObjectId(ObjectId.fromString(h.bases().get(i).hex()));
                ru.setForceUpdate(true);
                ru.update();
            }
            Map<String, SnapshotId> gitRefs = new LinkedHashMap<>();
            try (ObjectReader r = scratch.newVerifyingReader(); RevWalk rw = new RevWalk(r)) {
                for (var e : fetch(file, scratch.git(), meta).entrySet()) {
                    ObjectId id = ObjectId.fromString(e.getValue().hex());
                    raw.put(e.getKey(), id);
                    org.eclipse.jgit.revwalk.RevObject peeled = rw.peel(rw.parseAny(id));
                    if (!(peeled instanceof org.eclipse.jgit.revwalk.RevCommit)
                            || (!e.getKey().startsWith("refs/tags/") && !peeled.equals(id))) {
                        throw bad(file, e.getKey() + " in " + META + " does not name a snapshot");
                    }
                    gitRefs.put(e.getKey(), new SnapshotId(peeled.name()));
                }
            } catch (org.eclipse.jgit.errors.MissingObjectException e) {
                throw bad(file, "a ref points at Git object " + e.getObjectId().name() + ", which it does not carry");
            }
            if (!gitRefs.equals(h.refs())) {
                throw bad(file, "the refs of " + META + " are not the ones its header lists");
            }
            Set<ChunkId> seen = new HashSet<>();
            int[] snapshots = {0};
            try {
                Reachable.walk(scratch, repo.chunks(), h.refs().values(), h.bases(), seen, s -> snapshots[0]++, id -> {
                    if (!repo.chunks().contains(id)) {
                        throw bad(file, "it lacks chunk " + id.hex() + ", which its snapshots need and this repository"
                                + " does not have");
                    }
                });
            } catch (org.eclipse.jgit.errors.MissingObjectException e) {
                throw bad(file, "a ref or snapshot points at Git object " + e.getObjectId().name() + ", which it does not carry");
            } catch (BundleException e) {
                throw e;
            } catch (StoreException | IllegalArgumentException e) {
                throw bad(file, "a snapshot in it is unreadable: " + e.getMessage());
            }
            for (int i = 0; i < idx.size(); i++) {
                if (!seen.contains(idx.id(i))) {
                    throw bad(file, "it carries chunk " + idx.id(i).hex() + ", which none of its snapshots names");
                }
            }
            return snapshots[0];
        }
    }

    /** Adds the Git bundle's objects to {@code db} (checked by JGit's object checker); names no ref. */
    private static Map<String, SnapshotId> fetch(Path file, org.eclipse.jgit.lib.Repository db, byte[] meta) {
        URIish uri = new URIish().setPath(file.toAbsolutePath().toString());
        try (Transport t = new TransportBundleStream(db, uri, new ByteArrayInputStream(meta))) {
            t.setObjectChecker(new ObjectChecker());
            try (FetchConnection c = t.openFetch()) {
                Map<String, SnapshotId> refs = new LinkedHashMap<>();
                for (Ref r : c.getRefs()) {
                    refs.put(r.getName(), new SnapshotId(r.getObjectId().name()));
                }
                c.fetch(NullProgressMonitor.INSTANCE, c.getRefs(), Set.of());
                for (PackLock l : c.getPackLocks()) {
                    l.unlock();
                }
                return refs;
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof BundleException be) {
                throw be;
            }
            String m = String.valueOf(e.getMessage());
            int nl = m.indexOf('\n');
            throw bad(file, META + " is unusable: " + (nl < 0 ? m : m.substring(0, nl)).replace(uri.toString() + ": ", ""));
        }
    }

    /**
     * Moves the checked Git objects from the scratch repository into meta.git: its packs (JGit
     * completed any thin pack with its bases), each pack before its index, and any loose objects;
     * each file fsynced and renamed into place, then its directory fsynced.
     */
    static void importObjects(Path scratch, Path gitDir) throws IOException {
        Path from = scratch.resolve("objects");
        Path to = gitDir.resolve("objects");
        List<Path> files;
        try (Stream<Path> s = Files.walk(from)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.startsWith(from.resolve("info")))
                    .filter(p -> !p.getFileName().toString().endsWith(".keep"))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString().endsWith(".idx"))).toList();
        }
        List<Path> dirs = new ArrayList<>();
        for (Path f : files) {
            Path target = to.resolve(from.relativize(f).toString());
            if (Files.exists(target)) {
                continue;
            }
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(f, tmp, StandardCopyOption.REPLACE_EXISTING);
            OwnerOnly.restrict(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            if (!dirs.contains(target.getParent())) {
                dirs.add(target.getParent());
            }
        }
        dirs.add(to);
        for (Path d : dirs) {
            OwnerOnly.restrict(d);
            try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
                ch.force(true);
            }
        }
    }

    /**
     * Why a ref of the bundle cannot exist beside this repository's refs or the bundle's others, or
     * null: Git keeps a ref as a file, so refs/heads/a and refs/heads/a/b cannot both exist. Checked
     * before anything is written, as JGit would refuse the second only when the first is in place.
     */
    private static String clash(java.util.Collection<String> bundled, java.util.Collection<String> here) {
        List<String> all = new ArrayList<>(here);
        all.addAll(bundled);
        for (String name : bundled) {
            for (String other : all) {
                if (other.startsWith(name + "/") || name.startsWith(other + "/")) {
                    return "its ref " + printable(name) + " clashes with " + printable(other)
                            + (here.contains(other) ? " here" : " in it") + " (one ref cannot be a directory of another)";
                }
            }
        }
        return null;
    }

    private static boolean hasCommit(Repository repo, SnapshotId id) {
        try (ObjectReader r = repo.meta().newVerifyingReader(); RevWalk rw = new RevWalk(r)) {
            rw.parseCommit(ObjectId.fromString(id.hex()));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static TarArchiveEntry next(Path file, TarArchiveInputStream tar, String name, long size) throws IOException {
        budget().allow(MAX_TAR_HEADERS, "the tar headers before entry " + name + " are larger than "
                + (MAX_TAR_HEADERS >> 10) + " KiB");
        TarArchiveEntry e = tar.getNextEntry();
        if (e == null) {
            throw bad(file, "it ends before its " + name + " entry (truncated)");
        }
        if (!e.getName().equals(name)) {
            throw bad(file, "unexpected entry '" + printable(e.getName()) + "' where " + name + " should be");
        }
        // exactly a regular file: Commons Compress calls links and devices files too, and fills a sparse
        // entry's holes with zeros it never read (bytes the budget would not count)
        if ((e.getLinkFlag() != TarConstants.LF_NORMAL && e.getLinkFlag() != TarConstants.LF_OLDNORM) || e.isSparse()) {
            throw bad(file, "entry " + name + " is not a regular file");
        }
        if (size >= 0 && e.getSize() != size) {
            throw bad(file, "entry " + name + " is " + e.getSize() + " bytes, the header declares " + size);
        }
        return e;
    }

    private static byte[] bytes(Path file, TarArchiveInputStream tar, String entry, int n) throws IOException {
        budget().allow(n + 2L * TAR_RECORD, "entry " + entry + " is longer than declared");
        byte[] b = tar.readNBytes(n);
        if (b.length != n) {
            throw bad(file, "entry " + entry + " ends early (truncated)");
        }
        return b;
    }

    private static Budget budget() {
        return BUDGET.get();
    }

    /**
     * Caps what the tar reader may pull from the file at each step, so a hostile tar header (a GNU
     * long name or PAX record of gigabytes, which Commons Compress would buffer whole) fails at the
     * cap instead of filling the heap: before each entry header the tar layer may read
     * {@link #MAX_TAR_HEADERS}, and for entry data what the header declares plus padding.
     */
    private static final class Budget extends java.io.FilterInputStream {
        static final class Exceeded extends IOException {
            Exceeded(String message) {
                super(message);
            }
        }

        private long left;
        private String why = "";

        Budget(InputStream in) {
            super(in);
        }

        void allow(long bytes, String why) {
            this.left = bytes;
            this.why = why;
        }

        private void take(long n) throws Exceeded {
            if (n > left) {
                throw new Exceeded(why);
            }
            left -= n;
        }

        @Override
        public int read() throws IOException {
            take(1);
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, (int) Math.min(len, Math.max(1, left)));
            if (n > 0) {
                take(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(Math.min(n, Math.max(1, left)));
            take(k);
            return k;
        }
    }

    /** At most 100 characters of {@code name}, safe on a terminal ({@link #printable(String, int)}). */
    static String printable(String name) {
        return printable(name, 100);
    }

    /** At most {@code max} characters of {@code text}, control characters (C0, DEL, C1) shown as '?'. */
    static String printable(String text, int max) {
        StringBuilder sb = new StringBuilder();
        text.codePoints().limit(max).forEach(c -> sb.append(c < 0x20 || (c >= 0x7f && c < 0xa0) ? '?'
                : Character.toString(c)));
        return text.codePointCount(0, text.length()) > max ? sb + "..." : sb.toString();
    }

    /**
     * The one-line error for {@code file}. {@code why} may quote the bundle's own bytes (an entry name,
     * or JGit's message about a Git bundle line, found by BundleFuzzTest), so control characters are
     * shown as '?' and it is cut at 400 characters: nothing from a hostile file reaches a terminal raw.
     */
    private static BundleException bad(Path file, String why) {
        return new BundleException("bad bundle " + file + ": " + printable(why, 400));
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a scratch directory under the system's temporary directory
        }
    }
}
