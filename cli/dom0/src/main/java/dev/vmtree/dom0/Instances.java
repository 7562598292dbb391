package dev.vmtree.dom0;

import dev.vmtree.store.ExtraRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.WriteTransaction;
import dev.vmtree.store.fs.RealFileLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The instance records of a repository: one file per instance in {@code .vmtree/instances/}, its
 * lock beside it ({@code NAME.lock}), and the current-instance pointer {@code .vmtree/CURRENT}
 * (like Git's HEAD). Every record is mirrored as the store's extra root {@code instance/NAME}
 * (its base snapshot, working images and state files), registered <em>before</em> the record is
 * written and unregistered <em>after</em> it is deleted, so gc never drops what a record names.
 *
 * <p>A record that does not decode is {@link Damaged}: reading it throws {@link DamagedRecordException}
 * (whose message names the repair), {@link #scan} reads past it for views, {@link #remove} drops it
 * with force, and {@code Toolstack.repairInstance} rewrites it. Its gc root stays until then.
 *
 * <p>Threading: writes run inside a {@link WriteTransaction} (the repository's one-writer lock);
 * reads take no lock and see each record whole (files are replaced atomically).
 */
public final class Instances {
    public static final String DIR = "instances";
    public static final String CURRENT = "CURRENT";
    /** Where each instance's reflog ref lives: {@code refs/instances/NAME} follows its base (git's HEAD). */
    public static final String HEAD_REFS = "refs/instances/";
    static final String ROOT_PREFIX = "instance/";

    private final Repository repo;
    private final Path dir;

    Instances(Repository repo) {
        this.repo = repo;
        this.dir = repo.storeDirectory().resolve(DIR);
    }

    public Path directory() {
        return dir;
    }

    public Path recordFile(String name) {
        InstanceRecord.checkName(name);
        return dir.resolve(name);
    }

    public Path lockFile(String name) {
        InstanceRecord.checkName(name);
        return dir.resolve(name + ".lock");
    }

    /**
     * Every instance, sorted by name. Fails on a damaged record ({@link DamagedRecordException}):
     * what changes refs or records must know every instance; read-only views use {@link #scan}.
     */
    public List<InstanceRecord> list() {
        List<InstanceRecord> out = new ArrayList<>();
        for (String n : names()) {
            find(n).ifPresent(out::add);
        }
        return out;
    }

    /** The records that read whole, and the damaged ones, each sorted by name. */
    public record Listing(List<InstanceRecord> sound, List<Damaged> damaged) {}

    /** Every instance, reading past damaged records (for views: list, log, branch, du). */
    public Listing scan() {
        List<InstanceRecord> sound = new ArrayList<>();
        List<Damaged> damaged = new ArrayList<>();
        for (String n : names()) {
            try {
                find(n).ifPresent(sound::add);
            } catch (DamagedRecordException e) {
                damaged.add(e.damaged());
            }
        }
        return new Listing(List.copyOf(sound), List.copyOf(damaged));
    }

    /**
     * A record file that does not decode (a flipped byte, a truncation, a newer format): the
     * instance can only be repaired ({@code instance repair}) or removed ({@code instance remove --force}).
     */
    public record Damaged(String name, Path file, String reason) {
        /** One line saying what is wrong and both ways out. */
        public String describe() {
            return "damaged instance record " + file + ": " + reason + "; repair it with `vmtree instance repair "
                    + name + "` (or drop it: `vmtree instance remove --force " + name + "`)";
        }
    }

    /** Thrown when a record is read that is {@link Damaged}; CANNOT_RUN, its message is {@link Damaged#describe}. */
    public static final class DamagedRecordException extends ToolstackException {
        private final transient Damaged damaged;

        DamagedRecordException(Damaged damaged, Throwable cause) {
            super(Kind.CANNOT_RUN, damaged.describe(), cause);
            this.damaged = damaged;
        }

        public Damaged damaged() {
            return damaged;
        }
    }

    /** The damaged record of {@code name}, or empty when it reads whole or does not exist. */
    public Optional<Damaged> damaged(String name) {
        try {
            find(name);
            return Optional.empty();
        } catch (DamagedRecordException e) {
            return Optional.of(e.damaged());
        }
    }

    /** What is still legible in a damaged record (for repair; every field unverified). */
    InstanceFile.Remains remains(String name) {
        Path f = recordFile(name);
        try {
            return InstanceFile.salvage(Files.readAllBytes(f));
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** The names of the record files, sorted, without reading them. */
    public List<String> names() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".lock") && !n.endsWith(".tmp") && !n.startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The record file's bytes as stored now, or null when there is none (for compare-and-swap). */
    byte[] bytes(String name) {
        Path f = recordFile(name);
        try {
            return Files.isRegularFile(f) ? Files.readAllBytes(f) : null;
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /**
     * The full name of instance {@code name}'s reflog ref, {@code refs/instances/NAME}, or null when
     * the instance name is not a valid ref name (such as "a..b"): that instance keeps no reflog.
     */
    public static String headRef(String name) {
        String ref = HEAD_REFS + name;
        return org.eclipse.jgit.lib.Repository.isValidRefName(ref) ? ref : null;
    }

    /** Moves (or creates) an instance's reflog ref to {@code to}, logging {@code message}. */
    static void moveHead(Repository repo, WriteTransaction tx, String name, SnapshotId to, String message) {
        String ref = headRef(name);
        if (ref == null) {
            return;
        }
        SnapshotId old = repo.refs().get(ref);
        if (!tx.updateRef(ref, old, to, message).ok()) {
            throw ToolstackException.failed("cannot move " + ref + " (changed meanwhile); run the command again");
        }
    }

    public Optional<InstanceRecord> find(String name) {
        Path f = recordFile(name);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            InstanceRecord r = InstanceFile.decode(Files.readAllBytes(f));
            if (!r.name().equals(name)) {
                throw new IllegalArgumentException("record names instance '" + r.name() + "'");
            }
            return Optional.of(r);
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + f + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new DamagedRecordException(new Damaged(name, f, e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
    }

    public InstanceRecord get(String name) {
        return find(name).orElseThrow(() -> ToolstackException.failed("no instance '" + name
                + "' (see `vmtree instance list`)"));
    }

    /** The name in {@code .vmtree/CURRENT}, when it names an existing instance. */
    public Optional<String> currentName() {
        Path f = repo.storeDirectory().resolve(CURRENT);
        try {
            if (!Files.isRegularFile(f)) {
                return Optional.empty();
            }
            String n = Files.readString(f, StandardCharsets.UTF_8).trim();
            return n.isEmpty() || !Files.isRegularFile(dir.resolve(n)) ? Optional.empty() : Optional.of(n);
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** The instance commands act on without {@code -i}. */
    public InstanceRecord current() {
        return currentName().map(this::get).orElseThrow(() -> ToolstackException.failed(
                "no current instance (create one with `vmtree instance add NAME REF`, or pick one with -i)"));
    }

    /** {@code name} when given, else the current instance. */
    public InstanceRecord resolve(String nameOrNull) {
        return nameOrNull == null ? current() : get(nameOrNull);
    }

    /** Makes {@code name} (which must exist) the current instance; null clears the pointer. */
    public void setCurrent(String name) {
        Path f = repo.storeDirectory().resolve(CURRENT);
        try {
            if (name == null) {
                Files.deleteIfExists(f);
            } else {
                get(name);
                RealFileLayer.INSTANCE.writeAtomically(f, name + "\n");
            }
        } catch (IOException e) {
            throw ToolstackException.failed("cannot write " + f + ": " + e.getMessage());
        }
    }

    /** Who holds the instance's lock (a running {@code vmtree run}). */
    public InstanceLock.Holder holder(String name) {
        return InstanceLock.probe(lockFile(name));
    }

    /** Takes the instance for this process (what {@code run} does for its whole life). */
    public InstanceLock lock(String name) {
        get(name);
        return InstanceLock.acquire(lockFile(name), name);
    }

    /** Writes a record (new or changed): its gc root first, then the record, both durable. */
    public void save(WriteTransaction tx, InstanceRecord r) {
        tx.registerRoot(root(r));
        try {
            RealFileLayer.INSTANCE.createDirectories(dir);
            RealFileLayer.INSTANCE.writeAtomically(recordFile(r.name()), InstanceFile.encode(r));
        } catch (IOException e) {
            throw ToolstackException.failed("cannot write " + recordFile(r.name()) + ": " + e.getMessage());
        }
    }

    /** Creates a new instance; fails if one has that name. The first instance becomes current. */
    public void add(WriteTransaction tx, InstanceRecord r) {
        if (find(r.name()).isPresent()) {
            throw ToolstackException.failed("instance '" + r.name() + "' already exists");
        }
        save(tx, r);
        moveHead(repo, tx, r.name(), r.base(), "instance: created at " + r.base().shortHex()
                + (r.branch() == null ? " (detached)" : " on branch " + r.branch()));
        if (currentName().isEmpty()) {
            setCurrent(r.name());
        }
    }

    /**
     * Deletes an instance: refused while a process holds it, and for a dirty one unless {@code force}
     * (its working state then stays until gc, unreferenced). A damaged record, whose state cannot
     * be told, counts as dirty. The record goes first, then its root. Returns the removed record
     * (empty for a damaged one).
     */
    public Optional<InstanceRecord> remove(WriteTransaction tx, String name, boolean force) {
        if (!Files.isRegularFile(recordFile(name))) {
            get(name);      // says there is no such instance, before a lock file is made for it
        }
        InstanceRecord r;
        // Held for the whole removal, not only looked at: a run or disk serve starting in between
        // would otherwise keep an instance whose record is gone, and its save could never land.
        try (InstanceLock held = InstanceLock.acquire(lockFile(name), name, "instance remove")) {
            try {
                r = get(name);
            } catch (DamagedRecordException e) {
                if (!force) {
                    throw new ToolstackException(ToolstackException.Kind.DIRTY, "instance " + name + " has a damaged"
                            + " record (" + e.damaged().reason() + "), so what it held cannot be told; remove it with"
                            + " --force, or repair it with `vmtree instance repair " + name + "`");
                }
                r = null;
            }
            if (r != null && r.dirty() && !force) {
                throw new ToolstackException(ToolstackException.Kind.DIRTY, "instance " + name
                        + " has uncommitted state; commit it, or remove with --force to drop it");
            }
            try {
                Files.delete(recordFile(name));
                Files.deleteIfExists(lockFile(name));
            } catch (IOException e) {
                throw ToolstackException.failed("cannot delete " + recordFile(name) + ": " + e.getMessage());
            }
        }
        tx.unregisterRoot(ROOT_PREFIX + name);
        if (r != null && r.retired() && r.migratedTo().ref().startsWith(dev.vmtree.store.Transfer.MIGRATIONS)) {
            // the migration snapshot's local ref served the push; the remote holds the migration now
            String ref = r.migratedTo().ref();
            SnapshotId kept = repo.refs().get(ref);
            if (r.migratedTo().snapshot().equals(kept)) {
                tx.updateRef(ref, kept, null, "instance remove: " + name + " (migrated)");
            }
        }
        String head = headRef(name);
        SnapshotId at = head == null ? null : repo.refs().get(head);
        if (at != null) {
            tx.updateRef(head, at, null, "instance remove: " + name);
        }
        if (currentName().isEmpty()) {
            setCurrent(null);
        }
        return Optional.ofNullable(r);
    }

    /**
     * Checks every record against the store (for fsck): each decodes, its root is registered with
     * exactly the snapshot, trees and chunks it names, and {@code CURRENT} names an instance.
     * Returns one line per problem; empty when all is well. A root without a record (a crash
     * between the two steps of a removal) is reported too, as harmless.
     */
    public List<Problem> verify() {
        List<Problem> problems = new ArrayList<>();
        Map<String, ExtraRoot> roots = new java.util.HashMap<>();
        boolean rootsReadable = true;
        try {
            repo.extraRoots().forEach(r -> roots.put(r.name(), r));
        } catch (StoreException e) {
            rootsReadable = false; // the store's fsck names the file and the fix; records are still decoded
        }
        for (String n : names()) {
            try {
                InstanceRecord r = get(n);
                ExtraRoot want = root(r);
                ExtraRoot have = roots.remove(want.name());
                if (!rootsReadable) {
                    continue;
                } else if (have == null) {
                    problems.add(new Problem("instance " + n + ": no gc root registered in " + repo.storeDirectory()
                            .resolve("roots") + " (gc would drop its working state); register it again with"
                            + " `vmtree fsck --rebuild-roots`", false));
                } else if (!new java.util.HashSet<>(have.snapshots()).equals(new java.util.HashSet<>(want.snapshots()))
                        || !new java.util.HashSet<>(have.trees()).equals(new java.util.HashSet<>(want.trees()))
                        || !new java.util.HashSet<>(have.chunks()).equals(new java.util.HashSet<>(want.chunks()))) {
                    problems.add(new Problem("instance " + n + ": gc root does not match the record; register it again"
                            + " with `vmtree fsck --rebuild-roots`", false));
                }
            } catch (DamagedRecordException e) {
                roots.remove(ROOT_PREFIX + n);      // the root is the damaged record's, not an orphan
                problems.add(new Problem("instance " + n + ": " + e.getMessage(), false));
            } catch (ToolstackException e) {
                problems.add(new Problem(e.getMessage(), false));
            }
        }
        roots.keySet().stream().filter(k -> k.startsWith(ROOT_PREFIX)).sorted()
                .forEach(k -> problems.add(new Problem("root " + k + " has no instance record (left by an interrupted"
                        + " removal; it only keeps some chunks from gc)", true)));
        try {
            Path cur = repo.storeDirectory().resolve(CURRENT);
            if (Files.isRegularFile(cur) && currentName().isEmpty()) {
                problems.add(new Problem(cur + " names no existing instance", true));
            }
        } catch (ToolstackException e) {
            problems.add(new Problem(e.getMessage(), false));
        }
        return problems;
    }

    /**
     * Lock files that are not files (a directory where {@code NAME.lock} should be): every command
     * that takes the instance would fail. For fsck.
     */
    public List<Problem> verifyLockFiles() {
        List<Problem> problems = new ArrayList<>();
        for (String n : names()) {
            Path lock = lockFile(n);
            if (Files.exists(lock, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(lock)) {
                problems.add(new Problem(lock + " is " + (Files.isDirectory(lock) ? "a directory" : "not a regular file")
                        + ", not the lock of instance " + n + ": every command on it fails; remove it (the next"
                        + " command creates it)", false));
            }
        }
        return problems;
    }

    /**
     * Rewrites the store's roots from the instance records, after {@code .vmtree/roots} was lost,
     * damaged or edited: every record that decodes gets its root ({@code instance/NAME}) again, and
     * roots of other kinds in a readable old file are kept. Returns the records that could not be
     * read (their roots are kept when the old file names them, else they are not protected).
     */
    public List<String> rebuildRoots(WriteTransaction tx) {
        Map<String, ExtraRoot> byName = new java.util.LinkedHashMap<>();
        try {
            repo.extraRoots().forEach(r -> byName.put(r.name(), r));
        } catch (StoreException e) {
            // lost or damaged: rebuilt from the records alone
        }
        List<String> unreadable = new ArrayList<>();
        java.util.Set<String> recorded = new java.util.HashSet<>();
        for (String n : names()) {
            recorded.add(ROOT_PREFIX + n);
            try {
                ExtraRoot r = root(get(n));
                byName.put(r.name(), r);
            } catch (ToolstackException e) {
                unreadable.add(e.getMessage());
            }
        }
        byName.keySet().removeIf(k -> k.startsWith(ROOT_PREFIX) && !recorded.contains(k));
        tx.replaceRoots(List.copyOf(byName.values()));
        return unreadable;
    }

    /** One finding of {@link #verify}; {@code harmless} ones lose nothing and are warnings. */
    public record Problem(String text, boolean harmless) {}

    /** The store root that keeps a record's snapshot, images and state files alive. */
    static ExtraRoot root(InstanceRecord r) {
        WorkingState w = r.working();
        return new ExtraRoot(ROOT_PREFIX + r.name(),
                w == null ? List.of() : List.copyOf(w.images().values()),
                w == null ? List.of() : List.copyOf(w.files().values()),
                List.of(r.base()));
    }
}
