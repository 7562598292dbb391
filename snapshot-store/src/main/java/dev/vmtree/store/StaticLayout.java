package dev.vmtree.store;

import dev.vmtree.store.remote.LocalFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefDatabase;
import org.eclipse.jgit.transport.URIish;

/**
 * A bare store that any static web server can host as a read-only remote (docs/format.md, "HTTP
 * static layout"): {@link #export} pushes a repository's branches and tags into it, then writes
 * the listings a reader that cannot list directories needs: {@code chunks/packs}, and meta.git's
 * {@code objects/info/packs}, {@code HEAD} and {@code info/refs} as {@code git update-server-info}
 * writes them for Git's dumb HTTP. Each is replaced atomically, {@code info/refs} last, under the
 * store's writer lock: a reader that sees a ref finds its objects and chunks listed.
 */
public final class StaticLayout {
    private StaticLayout() {}

    /** The version of the listings, the first line of {@code chunks/packs}. */
    public static final int VERSION = 1;
    public static final String PACKS = "chunks/packs";
    static final String PACKS_HEADER = "# vmtree-packs ";

    /**
     * Writes or updates the layout in {@code dir} (created when it is absent or empty) from
     * {@code repo}: every branch and tag is pushed (only what is new moves; a branch that is not a
     * fast-forward there, or a tag that moved, is refused without {@code force}), then the listings
     * are rewritten. Refs that {@code repo} no longer has stay.
     */
    public static Transfer.Result export(Repository repo, Path dir, boolean force, Transfer.Counters counters,
                                         Duration lockTimeout, Consumer<String> onWait) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        if (Files.exists(root) && !Files.isDirectory(root)) {
            throw new TransferException(root + " is a file, not a directory");
        }
        LocalFiles files = new LocalFiles(root);
        String store = Files.isDirectory(root) ? RemoteLayout.probe(files) : null;
        if (store == null) {
            Files.createDirectories(root);
            RemoteLayout.createBare(files);
        } else if (!store.isEmpty()) {
            throw new TransferException(root + " is a repository with a working directory; export writes a bare"
                    + " layout (name an empty or new directory)");
        }
        Map<String, String> refs = new LinkedHashMap<>();
        for (String r : new TreeMap<>(repo.refs()).keySet()) {
            if (r.startsWith("refs/heads/") || r.startsWith("refs/tags/")) {
                refs.put(r, r);
            }
        }
        Transfer.Result result = new Transfer.Result(List.of(), 0, 0, 0, null);
        if (!refs.isEmpty()) {
            RepositoryChunks chunks = new RepositoryChunks(Repository.openStore(root), lockTimeout, onWait);
            try (chunks) {
                result = Transfer.push(repo, new Transfer.Remote(null, root.toString(),
                        new URIish().setPath(root.resolve("meta.git").toString()), chunks, null),
                        refs, force, counters, lockTimeout, onWait);
            }
        }
        try (Repository bare = Repository.openStore(root)) {  // opened after the push: it sees every ref
            writeListings(bare, files, headBranch(repo), lockTimeout, onWait);
        }
        return result;
    }

    /** The branch this repository's HEAD names, or null. */
    private static String headBranch(Repository repo) throws IOException {
        Ref h = repo.meta().git().getRefDatabase().exactRef("HEAD");
        return h != null && h.isSymbolic() ? h.getTarget().getName() : null;
    }

    /**
     * Rewrites the listings of the bare store {@code bare} from what it holds now; HEAD names
     * {@code head} when the store has that branch, else the branch it named, else main, else the
     * first branch.
     */
    static void writeListings(Repository bare, LocalFiles files, String head, Duration lockTimeout,
                              Consumer<String> onWait) throws IOException {
        try (WriteTransaction tx = bare.beginWrite(lockTimeout, onWait)) {
            bare.chunks().refresh();
            StringBuilder packs = new StringBuilder(PACKS_HEADER + VERSION + "\n");
            bare.chunks().packs().stream().map(ChunkStore.Pack::name).sorted()
                    .forEach(n -> packs.append(n).append('\n'));
            RemoteLayout.write(files, PACKS, packs.toString().getBytes(StandardCharsets.UTF_8));

            Path gitPacks = bare.gitDirectory().resolve("objects/pack");
            StringBuilder info = new StringBuilder();
            if (Files.isDirectory(gitPacks)) {
                try (Stream<Path> s = Files.list(gitPacks)) {
                    for (String n : s.map(p -> p.getFileName().toString()).sorted().toList()) {
                        String stem = n.endsWith(".pack") ? n.substring(0, n.length() - 5) : null;
                        if (stem != null && Files.isRegularFile(gitPacks.resolve(stem + ".idx"))) {
                            info.append("P ").append(n).append('\n');
                        }
                    }
                }
            }
            info.append('\n');
            RemoteLayout.write(files, "meta.git/objects/info/packs", info.toString().getBytes(StandardCharsets.UTF_8));

            RefDatabase db = bare.meta().git().getRefDatabase();
            List<Ref> all = new ArrayList<>(db.getRefsByPrefix("refs/"));
            all.sort(java.util.Comparator.comparing(Ref::getName));
            StringBuilder refs = new StringBuilder();
            List<String> branches = new ArrayList<>();
            for (Ref r : all) {
                if (r.isSymbolic() || r.getObjectId() == null) {
                    continue;
                }
                refs.append(r.getObjectId().name()).append('\t').append(r.getName()).append('\n');
                Ref p = db.peel(r);
                if (p.getPeeledObjectId() != null) {
                    refs.append(p.getPeeledObjectId().name()).append('\t').append(r.getName()).append("^{}\n");
                }
                if (r.getName().startsWith("refs/heads/")) {
                    branches.add(r.getName());
                }
            }
            Ref was = db.exactRef("HEAD");
            String target = head != null && branches.contains(head) ? head
                    : was != null && was.isSymbolic() && branches.contains(was.getTarget().getName()) ? was.getTarget().getName()
                    : branches.contains("refs/heads/main") || branches.isEmpty() ? "refs/heads/main" : branches.getFirst();
            files.mkdirs("meta.git/info");
            RemoteLayout.write(files, "meta.git/HEAD", ("ref: " + target + "\n").getBytes(StandardCharsets.UTF_8));
            RemoteLayout.write(files, "meta.git/info/refs", refs.toString().getBytes(StandardCharsets.UTF_8));  // last
        }
    }
}
