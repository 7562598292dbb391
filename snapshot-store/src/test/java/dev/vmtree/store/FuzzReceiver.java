package dev.vmtree.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The repository the bundle fuzz targets import into, and the contract they check on every input:
 * {@link Bundle#read} returns (a clean import, or a clean check) or throws {@link BundleException}
 * with one line ({@link Bundle.RefusedException} only when it was asked to apply without force), never
 * anything else; it allocates a bounded amount; and unless it imported, the repository is exactly as
 * it was (refs, every file of the store and meta.git, fsck clean). After an import the refs are the
 * bundle's and fsck is clean, and the repository is put back from its template.
 *
 * <p>The template is made once from the committed seed {@code valid-base} (snapshot A, tagged
 * golden), with branch main also at A, so a full bundle moves main (force) and a thin one applies.
 */
final class FuzzReceiver implements AutoCloseable {
    /**
     * What one read may allocate on this thread: a fixed part and a multiple of the input. The fixed part
     * is what the reader allows by design: JGit holds a delta's base and result whole, each up to a
     * snapshot file's 64 MiB (GitPackBounds), besides the scratch Git repository.
     */
    static final long FIXED_ALLOCATION = 192L << 20;
    static final long ALLOCATION_PER_BYTE = 256;
    /** The longest error message: the file's path and a sentence, with names cut at 100 characters. */
    static final int MAX_MESSAGE = 1000;

    private final Path template;
    private final Path live;
    private final Path file;
    private final Map<String, SnapshotId> refs;
    private final Map<String, Long> files;
    private Repository repo;
    /** How the inputs ended, for the figures: imports, checks, refusals, bad bundles. */
    final Map<String, Long> outcomes = new TreeMap<>();

    private FuzzReceiver(Path dir) throws IOException {
        this.template = dir.resolve("template");
        this.live = dir.resolve("live");
        this.file = dir.resolve("input.bundle");
        this.repo = Repository.open(copy(template, live));
        this.refs = repo.refs();
        this.files = files(live);
    }

    /** Makes the template in {@code dir} from the bundle {@code base} and opens a copy of it. */
    static FuzzReceiver create(Path dir, byte[] base) throws IOException {
        Path baseFile = dir.resolve("base.bundle");
        Files.write(baseFile, base);
        try (Repository r = Repository.init(dir.resolve("template"))) {
            Bundle.Summary s = Bundle.read(r, baseFile, true, false, Duration.ofSeconds(10), m -> {});
            SnapshotId golden = s.header().refs().get("refs/tags/golden");
            try (WriteTransaction tx = r.beginWrite()) {
                if (golden == null || !tx.updateRef("refs/heads/main", null, golden, "fuzz receiver").ok()) {
                    throw new IllegalStateException("the base seed does not carry refs/tags/golden");
                }
            }
        }
        return new FuzzReceiver(dir);
    }

    Map<String, SnapshotId> refs() {
        return refs;
    }

    /** Reads {@code bytes} as a bundle file and checks the contract; returns how it ended. */
    Outcome read(byte[] bytes, boolean apply, boolean force) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the input: " + e, e);
        }
        long before = Allocation.now();
        Outcome out;
        Bundle.Summary summary = null;
        try {
            summary = Bundle.read(repo, file, apply, force, Duration.ofSeconds(10), m -> {});
            out = new Outcome(apply ? "imported" : "checked", null);
        } catch (BundleException e) {
            String m = e.getMessage();
            if (m == null || !m.startsWith("bad bundle " + file + ": ")) {
                throw new AssertionError("a BundleException that does not name the file: " + m, e);
            }
            Allocation.oneLine(m, MAX_MESSAGE, e);
            out = new Outcome("bad", m);
        } catch (Bundle.RefusedException e) {
            if (!apply || force) {
                throw new AssertionError("refused although it was " + (apply ? "forced" : "only a check"), e);
            }
            Allocation.oneLine(e.getMessage(), MAX_MESSAGE, e);
            out = new Outcome("refused", e.getMessage());
        }
        Allocation.check(before, bytes.length, FIXED_ALLOCATION, ALLOCATION_PER_BYTE, "one read");
        outcomes.merge(out.kind(), 1L, Long::sum);
        Map<String, SnapshotId> now = repo.refs();
        FsckReport fsck = repo.fsck();
        if (!fsck.ok()) {
            throw new AssertionError(out + " and left fsck problems: " + fsck.problems());
        }
        if (out.kind().equals("imported")) {
            Map<String, SnapshotId> want = new LinkedHashMap<>(refs);
            want.putAll(summary.header().refs());
            if (!now.equals(want)) {
                throw new AssertionError("imported, but the refs are " + now + ", not " + want);
            }
            if (!now.equals(refs) || !files(live).equals(files)) {
                reset();
            }
        } else {
            if (!now.equals(refs)) {
                throw new AssertionError(out + " but moved refs: " + refs + " -> " + now);
            }
            Map<String, Long> f = files(live);
            if (!f.equals(files)) {
                throw new AssertionError(out + " but changed the repository's files: " + files + " -> " + f);
            }
        }
        return out;
    }

    /** How one read ended: imported, checked, refused or bad, with the message. */
    record Outcome(String kind, String message) {}

    private void reset() {
        repo.close();
        deleteTree(live);
        try {
            repo = Repository.open(copy(template, live));
        } catch (IOException e) {
            throw new IllegalStateException("cannot reset the receiver: " + e, e);
        }
    }

    /** Every file of the chunk store and meta.git, and the roots file, with its size. */
    private static Map<String, Long> files(Path top) {
        Map<String, Long> out = new TreeMap<>();
        Path store = top.resolve(Repository.DIR);
        for (String sub : new String[] {"chunks", "meta.git", "roots"}) {
            try (Stream<Path> s = Files.walk(store.resolve(sub))) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    out.put(store.relativize(p).toString(), Files.size(p));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + store + ": " + e, e);
            }
        }
        return out;
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + dir + ": " + e, e);
        }
    }

    @Override
    public void close() {
        repo.close();
    }
}
