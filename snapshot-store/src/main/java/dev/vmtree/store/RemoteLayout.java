package dev.vmtree.store;

import dev.vmtree.store.remote.RemoteFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * Where a remote keeps its store (docs/format.md, "Remote layout"): a repository's {@code .vmtree/}
 * under the remote's root, or the root itself for a bare store, which {@link #createBare} writes
 * when a push finds nothing there.
 */
public final class RemoteLayout {
    private RemoteLayout() {}

    /**
     * The store directory of the remote, relative to its root: ".vmtree/" or "" (bare); null when
     * the root holds no store. Refuses a store of a newer format.
     */
    public static String probe(RemoteFiles files) throws IOException {
        for (String store : List.of(Repository.DIR + "/", "")) {
            byte[] b;
            try {
                b = files.readAll(store + Repository.FORMAT_FILE, 4096);
            } catch (NoSuchFileException e) {
                continue;
            } catch (RemoteFiles.TooLargeException e) {
                throw new TransferException(files.describe() + ": " + e.getMessage());
            }
            String[] words = new String(b, StandardCharsets.UTF_8).trim().split("\\s+");
            if (words.length < 2 || !words[0].equals("vmtree-store")) {
                throw new TransferException(files.describe() + ": " + store + Repository.FORMAT_FILE
                        + " does not start with 'vmtree-store VERSION'");
            }
            int version;
            try {
                version = Integer.parseInt(words[1]);
            } catch (NumberFormatException e) {
                throw new TransferException(files.describe() + ": bad format version '" + RemoteFiles.shown(words[1]) + "'");
            }
            if (version > Repository.FORMAT_VERSION) {
                throw new TransferException(files.describe() + " holds repository format " + version
                        + ", newer than this vmtree reads (" + Repository.FORMAT_VERSION + ")");
            }
            return store;
        }
        return null;
    }

    /** The Git config of a store's meta.git, as {@code MetaStore.init} writes it. */
    static final String META_CONFIG = """
            [core]
            \trepositoryformatversion = 0
            \tfilemode = true
            \tbare = true
            \tlogAllRefUpdates = always
            \tfsyncRefFiles = true
            [gc]
            \tauto = 0
            """;

    /**
     * Writes an empty bare store at the root of {@code files}, which must be empty or absent:
     * chunks/, meta.git/ (a bare Git repository with vmtree's settings), roots, and FORMAT last,
     * so a store is never seen half made.
     */
    public static void createBare(RemoteFiles files) throws IOException {
        List<String> there = files.list("");
        if (there != null && !there.isEmpty()) {
            throw new TransferException(files.describe() + " is neither empty nor a vmtree repository");
        }
        files.mkdirs("chunks");
        files.mkdirs("meta.git/objects/info");
        files.mkdirs("meta.git/objects/pack");
        files.mkdirs("meta.git/refs/heads");
        files.mkdirs("meta.git/refs/tags");
        write(files, "meta.git/config", META_CONFIG.getBytes(StandardCharsets.UTF_8));
        write(files, "meta.git/HEAD", "ref: refs/heads/main\n".getBytes(StandardCharsets.UTF_8));
        write(files, "roots", RootsFile.encode(List.of()));
        write(files, Repository.FORMAT_FILE, Repository.FORMAT_TEXT.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes an empty object layout (an S3 remote) at the root of {@code files}, which must hold no
     * object yet: meta/ ({@link ObjectMeta#create}), then FORMAT, so a store is never seen half made.
     */
    public static void createObjects(dev.vmtree.store.remote.ObjectFiles files) throws IOException {
        List<String> there = files.listRecursive("", null, 1);
        if (!there.isEmpty()) {
            throw new TransferException(files.describe() + " is neither empty nor a vmtree remote (it holds "
                    + RemoteFiles.shown(there.getFirst()) + ")");
        }
        ObjectMeta.create(files);
        write(files, Repository.FORMAT_FILE, Repository.FORMAT_TEXT.getBytes(StandardCharsets.UTF_8));
    }

    static void write(RemoteFiles files, String path, byte[] data) throws IOException {
        RemoteFiles.publish(files, path, o -> o.write(data));
    }
}
