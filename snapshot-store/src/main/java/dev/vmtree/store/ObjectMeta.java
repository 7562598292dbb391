package dev.vmtree.store;

import dev.vmtree.store.fs.OwnerOnly;
import dev.vmtree.store.remote.ObjectFiles;
import dev.vmtree.store.remote.RemoteFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PackParser;

/**
 * The snapshot commits, tags and refs of a remote in an object store (docs/format.md, "Object
 * layout"), where there is no Git server and no rename, only whole objects and a conditional
 * create. Git objects travel as Git packs under {@code meta/packs/}, each named by the SHA-256 of
 * its bytes, written once and never changed. A ref is a log: {@code meta/REF/SEQ} holds the object
 * id the ref names from update SEQ on, and a ref is its entry with the highest SEQ. An update from
 * SEQ creates SEQ+1 with If-None-Match, so of two writers that read the same SEQ exactly one
 * wins, and the other is told the ref moved meanwhile: no update is ever lost. Entries are never
 * deleted (deleting one would let a writer that read an old SEQ recreate a later one).
 *
 * <p>A store that ignores the condition (some S3-compatible servers) is found by a probe on first
 * use: a key created twice. vmtree then says so once and continues with single-writer semantics
 * (docs/remotes.md): each update still checks that its SEQ is free and reads its entry back, which
 * catches most races but cannot exclude one.
 */
public final class ObjectMeta implements MetaRemote {
    /** The version of the object layout's meta/ part this vmtree writes and reads. */
    public static final int VERSION = 1;
    static final String DIR = "meta/";
    static final String FORMAT = DIR + "FORMAT";
    static final String FORMAT_TEXT = "vmtree-object-meta " + VERSION + "\n";
    static final String HEAD = DIR + "HEAD";
    static final String PACKS = DIR + "packs/";
    private static final Pattern PACK = Pattern.compile("[0-9a-f]{64}\\.pack");
    private static final Pattern SEQ = Pattern.compile("[0-9]{20}");
    private static final String MAX_SEQ = String.format("%020d", Long.MAX_VALUE);
    private static final Pattern REF = Pattern.compile("refs/(heads|tags|migrations)/[A-Za-z0-9._/+@-]{1,240}");
    static final int MAX_ENTRY = 256;
    static final int MAX_KEYS = 1 << 20;
    private static final String ENTRY_HEADER = "vmtree-ref 1\n";

    private final ObjectFiles files;
    private final Path cache;
    private final Consumer<String> notices;
    private final Set<String> downloaded = new LinkedHashSet<>();
    private ObjectFiles.Conditional conditional;

    /**
     * @param cache   where what this repository knows of the remote is kept (.vmtree/remotes/NAME/):
     *                the Git packs already imported, and what the conditional-write probe found
     * @param notices where a warning goes (a store that ignores conditional writes)
     */
    public ObjectMeta(ObjectFiles files, Path cache, Consumer<String> notices) {
        this.files = files;
        this.cache = cache;
        this.notices = notices;
    }

    public String describe() {
        return files.describe();
    }

    /** Writes an empty meta/ part: FORMAT, and HEAD naming main. */
    public static void create(ObjectFiles files) throws IOException {
        RemoteFiles.publish(files, HEAD, o -> o.write("ref: refs/heads/main\n".getBytes(StandardCharsets.UTF_8)));
        RemoteFiles.publish(files, FORMAT, o -> o.write(FORMAT_TEXT.getBytes(StandardCharsets.UTF_8)));
    }

    /** A ref as the remote holds it: the object it names, and the SEQ of the entry that says so. */
    public record Version(ObjectId id, long seq) {}

    private void checkFormat() throws IOException {
        byte[] b;
        try {
            b = files.readAll(FORMAT, 4096);
        } catch (NoSuchFileException e) {
            throw new TransferException(files.describe() + " is not an object-layout vmtree remote: it has no " + FORMAT);
        } catch (RemoteFiles.TooLargeException e) {
            throw new TransferException(files.describe() + ": " + e.getMessage());
        }
        String[] words = new String(b, StandardCharsets.UTF_8).trim().split("\\s+");
        if (words.length < 2 || !words[0].equals("vmtree-object-meta") || !words[1].matches("[0-9]{1,9}")) {
            throw new TransferException(files.describe() + ": " + FORMAT + " does not start with 'vmtree-object-meta VERSION'");
        }
        if (Integer.parseInt(words[1]) > VERSION) {
            throw new TransferException(files.describe() + " holds object layout " + words[1]
                    + ", newer than this vmtree reads (" + VERSION + ")");
        }
    }

    /** Every ref of the remote, by full name, at its newest entry. */
    public Map<String, Version> refs() throws IOException {
        checkFormat();
        Map<String, Long> newest = new TreeMap<>();
        String after = null;
        int seen = 0;
        while (true) {
            List<String> keys = files.listRecursive(DIR + "refs/", after, 1000);
            for (String key : keys) {
                if (++seen > MAX_KEYS) {
                    throw new TransferException(files.describe() + " lists more than " + MAX_KEYS + " ref entries");
                }
                int slash = key.lastIndexOf('/');
                String seq = slash < 0 ? "" : key.substring(slash + 1);
                String ref = "refs/" + (slash < 0 ? key : key.substring(0, slash));
                // 20 digits, at most Long.MAX_VALUE (fuzzing found 6 followed by 19 digits, past a long)
                if (!SEQ.matcher(seq).matches() || seq.compareTo(MAX_SEQ) > 0 || !REF.matcher(ref).matches()
                        || ref.contains("..") || ref.contains("//")) {
                    throw new TransferException(files.describe() + " holds a malformed ref entry '"
                            + RemoteFiles.shown(DIR + "refs/" + key) + "'");
                }
                newest.merge(ref, Long.parseLong(seq), Math::max);
            }
            if (keys.size() < 1000) {
                break;
            }
            after = keys.getLast();
        }
        Map<String, Version> out = new TreeMap<>();
        for (var e : newest.entrySet()) {
            ObjectId id = readEntry(e.getKey(), e.getValue());
            if (id != null) {
                out.put(e.getKey(), new Version(id, e.getValue()));
            }
        }
        return out;
    }

    private static String key(String ref, long seq) {
        return DIR + ref + "/" + String.format("%020d", seq);
    }

    /** The object id entry SEQ of {@code ref} names, or null for a deletion. */
    private ObjectId readEntry(String ref, long seq) throws IOException {
        byte[] b;
        try {
            b = files.readAll(key(ref, seq), MAX_ENTRY);
        } catch (RemoteFiles.TooLargeException e) {
            throw new TransferException(files.describe() + ": " + e.getMessage());
        }
        return parseEntry(files.describe(), key(ref, seq), b);
    }

    /** An entry's object id (null: the ref was deleted); TransferException for anything malformed. */
    static ObjectId parseEntry(String remote, String key, byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        if (!s.startsWith(ENTRY_HEADER) || s.length() != ENTRY_HEADER.length() + 41 || !s.endsWith("\n")
                || !s.substring(ENTRY_HEADER.length(), s.length() - 1).matches("[0-9a-f]{40}")) {
            throw new TransferException(remote + ": " + RemoteFiles.shown(key) + " is not a ref entry");
        }
        ObjectId id = ObjectId.fromString(s.substring(ENTRY_HEADER.length(), s.length() - 1));
        return id.equals(ObjectId.zeroId()) ? null : id;
    }

    static byte[] entry(ObjectId id) {
        return (ENTRY_HEADER + id.name() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The branch HEAD names, or null. */
    public String head() throws IOException {
        try {
            String s = new String(files.readAll(HEAD, 4096), StandardCharsets.UTF_8).strip();
            return s.startsWith("ref: refs/heads/") && REF.matcher(s.substring(5)).matches() ? s.substring(5) : null;
        } catch (NoSuchFileException | RemoteFiles.TooLargeException e) {
            return null;
        }
    }

    /**
     * Brings the Git objects of the remote into {@code scratch}: the packs not imported by an
     * earlier fetch, then, if one of {@code wanted} is still missing, every pack. Each pack is
     * checked against its name's SHA-256 and bounded by {@link GitPackBounds} before JGit parses it,
     * with JGit's object checker on.
     */
    void fetchObjects(org.eclipse.jgit.lib.Repository scratch, Collection<ObjectId> wanted) throws IOException {
        Set<String> known = imported();
        List<String> packs = packNames();
        for (String p : packs) {
            if (!known.contains(p)) {
                download(scratch, p);
            }
        }
        if (wanted.stream().anyMatch(id -> !has(scratch, id))) {
            for (String p : packs) {
                if (!downloaded.contains(p)) {
                    download(scratch, p);
                }
            }
        }
    }

    private static boolean has(Repository db, ObjectId id) {
        try {
            return db.getObjectDatabase().has(id);
        } catch (IOException e) {
            return false;
        }
    }

    private List<String> packNames() throws IOException {
        List<String> out = new ArrayList<>();
        String after = null;
        while (true) {
            List<String> keys = files.listRecursive(PACKS, after, 1000);
            for (String k : keys) {
                if (!PACK.matcher(k).matches()) {
                    throw new TransferException(files.describe() + " holds a malformed Git pack name '"
                            + RemoteFiles.shown(PACKS + k) + "'");
                }
                out.add(k);
                if (out.size() > MAX_KEYS) {
                    throw new TransferException(files.describe() + " lists more than " + MAX_KEYS + " Git packs");
                }
            }
            if (keys.size() < 1000) {
                return out;
            }
            after = keys.getLast();
        }
    }

    private void download(Repository scratch, String name) throws IOException {
        byte[] pack;
        try {
            pack = files.readAll(PACKS + name, (int) Bundle.MAX_META);
        } catch (RemoteFiles.TooLargeException e) {
            throw new TransferException(files.describe() + " holds more than " + (Bundle.MAX_META >> 20)
                    + " MiB of Git objects in " + name + ", more than this vmtree reads");
        }
        if (!ChunkId.hash(pack).hex().equals(name.substring(0, 64))) {
            throw new TransferException(files.describe() + ": Git pack " + name + " does not match its name (damaged or forged)");
        }
        String why = GitPackBounds.checkPack(pack, 0, MetaStore.MAX_FILE);
        if (why != null) {
            throw new TransferException(files.describe() + ": " + name + ": " + why + " (refused before parsing)");
        }
        try (ObjectInserter ins = scratch.newObjectInserter()) {
            PackParser p = ins.newPackParser(new ByteArrayInputStream(pack));
            p.setObjectChecker(new ObjectChecker());
            p.setAllowThin(false);
            p.parse(NullProgressMonitor.INSTANCE);
            ins.flush();
        } catch (IOException | RuntimeException e) {
            throw new TransferException(files.describe() + ": Git pack " + name + " is unusable: "
                    + Bundle.printable(Transfer.oneLine(e), 200), e);
        }
        downloaded.add(name);
    }

    /** Records the packs this fetch imported, so the next fetch downloads only newer ones. */
    void imported(Collection<String> names) throws IOException {
        Set<String> all = new LinkedHashSet<>(imported());
        all.addAll(names);
        Files.createDirectories(cache);
        Path f = cache.resolve("meta-packs");
        Path tmp = cache.resolve("meta-packs.tmp");
        Files.writeString(tmp, String.join("\n", all) + "\n");
        OwnerOnly.restrict(tmp);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The packs the last {@link #fetchObjects} downloaded. */
    Set<String> downloaded() {
        return Set.copyOf(downloaded);
    }

    private Set<String> imported() throws IOException {
        Path f = cache.resolve("meta-packs");
        if (!Files.isRegularFile(f)) {
            return Set.of();
        }
        Set<String> out = new HashSet<>();
        for (String line : Files.readAllLines(f)) {
            if (PACK.matcher(line.strip()).matches()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /**
     * Uploads one Git pack of what {@code want} reaches and {@code have} does not (the remote's
     * refs, where this repository holds them). Nothing is uploaded when that is nothing.
     */
    void pushObjects(Repository local, Set<ObjectId> want, Set<ObjectId> have) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PackWriter pw = new PackWriter(local)) {
            pw.setUseBitmaps(false);
            pw.setThin(false);
            pw.preparePack(NullProgressMonitor.INSTANCE, want, have);
            if (pw.getObjectCount() == 0) {
                return;
            }
            pw.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, out);
        }
        byte[] pack = out.toByteArray();
        String name = ChunkId.hash(pack).hex() + ".pack";
        RemoteFiles.publish(files, PACKS + name, o -> o.write(pack));
        imported(List.of(name));  // this repository holds its objects: never download it
    }

    /**
     * Moves {@code ref} from version {@code from} (null: it does not exist) to {@code to}. Returns
     * false when the remote's ref moved meanwhile (entry SEQ+1 exists): nothing is changed then.
     */
    public boolean advance(String ref, Version from, ObjectId to) throws IOException {
        if (!REF.matcher(ref).matches()) {
            throw new TransferException("cannot keep ref " + ref + " in an object store (its name is not a usable key)");
        }
        if (from != null && from.seq() == Long.MAX_VALUE) {
            throw new TransferException(files.describe() + ": the log of " + ref + " is full (2^63 - 1 updates)");
        }
        long next = from == null ? 1 : from.seq() + 1;
        String key = key(ref, next);
        byte[] body = entry(to);
        ObjectFiles.Conditional mode = conditional();
        if (mode == ObjectFiles.Conditional.ENFORCED) {
            // refused: somebody else's entry, or our own whose answer was lost and the client retried
            // (an entry saying the same is the same update: moving a ref to where it is going anyway)
            return files.createIfAbsent(key, body) || java.util.Arrays.equals(readBack(key), body);
        }
        // single-writer semantics: the SEQ must be free, and the entry must read back as ours
        if (files.exists(key)) {
            return false;
        }
        RemoteFiles.publish(files, key, o -> o.write(body));
        return java.util.Arrays.equals(files.readAll(key, MAX_ENTRY), body);
    }

    private byte[] readBack(String key) throws IOException {
        return readBack(files, key);
    }

    private static byte[] readBack(ObjectFiles files, String key) throws IOException {
        try {
            return files.readAll(key, MAX_ENTRY);
        } catch (NoSuchFileException | RemoteFiles.TooLargeException e) {
            return null;
        }
    }

    /**
     * What the store does with a conditional create, probed once per remote and kept in the cache:
     * a probe key created twice, the second time with the key already there.
     */
    ObjectFiles.Conditional conditional() throws IOException {
        if (conditional != null) {
            return conditional;
        }
        Path f = cache.resolve("conditional-writes");
        if (Files.isRegularFile(f)) {
            try {
                conditional = ObjectFiles.Conditional.valueOf(Files.readString(f).strip());
            } catch (IllegalArgumentException e) {
                conditional = null;  // damaged: probe again
            }
        }
        if (conditional == null) {
            conditional = probe(files);
            Files.createDirectories(cache);
            Files.writeString(f, conditional.name() + "\n");
        }
        if (conditional != ObjectFiles.Conditional.ENFORCED) {
            notices.accept("warning: " + files.describe() + (conditional == ObjectFiles.Conditional.IGNORED
                    ? " ignores conditional writes (If-None-Match)" : " does not support conditional writes")
                    + ": two hosts pushing to it at once could lose a ref update; continuing as its only writer"
                    + " (docs/remotes.md, \"Object stores\")");
        }
        return conditional;
    }

    /** Creates a fresh probe key twice: refused the second time means the condition is enforced. */
    public static ObjectFiles.Conditional probe(ObjectFiles files) throws IOException {
        String id = UUID.randomUUID().toString();
        String key = DIR + "probe/" + id;
        byte[] body = ("vmtree conditional-write probe " + id + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            // refused, yet there with our bytes: a retried request whose first answer was lost
            if (!files.createIfAbsent(key, body) && !java.util.Arrays.equals(readBack(files, key), body)) {
                throw new TransferException(files.describe() + " refused to create a fresh key " + key);
            }
            return files.createIfAbsent(key, body) ? ObjectFiles.Conditional.IGNORED : ObjectFiles.Conditional.ENFORCED;
        } catch (ObjectFiles.ConditionalUnsupportedException e) {
            return ObjectFiles.Conditional.UNSUPPORTED;
        } finally {
            try {
                files.delete(key);
            } catch (IOException ignored) {
                // a stray probe key is harmless: nothing reads meta/probe/
            }
        }
    }
}
