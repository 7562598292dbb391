package dev.vmtree.dom0.remote;

import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.ObjectMeta;
import dev.vmtree.store.PackFileChunks;
import dev.vmtree.store.RemoteLayout;
import dev.vmtree.store.Repository;
import dev.vmtree.store.RepositoryChunks;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.remote.HttpFiles;
import dev.vmtree.store.remote.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.eclipse.jgit.transport.URIish;

/**
 * Opens a {@link RemoteUrl} as a {@link Transfer.Remote}: finds the store under the remote's root
 * (a repository's .vmtree/, or a bare store), and for a push creates a bare store where there is
 * nothing yet.
 */
public final class Connector {
    private Connector() {}

    /**
     * @param name  the remote's name (remote-tracking refs are named after it), or null
     * @param cache where index files of pack-file remotes are kept (.vmtree/remotes/NAME)
     * @param create make an empty bare store when the remote holds none (push)
     */
    public static Transfer.Remote open(RemoteUrl url, String name, Path cache, boolean create, Duration lockTimeout,
                                       Consumer<String> onWait) {
        return open(url, name, cache, create, lockTimeout, onWait, SshConnection.Settings.fromEnvironment());
    }

    /** As {@link #open(RemoteUrl, String, Path, boolean, Duration, Consumer)}, with this SSH setup for an SSH remote. */
    public static Transfer.Remote open(RemoteUrl url, String name, Path cache, boolean create, Duration lockTimeout,
                                       Consumer<String> onWait, SshConnection.Settings ssh) {
        return open(url, name, cache, create, lockTimeout, onWait, ssh, S3Settings.fromEnvironment());
    }

    /** As {@link #open(RemoteUrl, String, Path, boolean, Duration, Consumer)}, with these SSH and S3 settings. */
    public static Transfer.Remote open(RemoteUrl url, String name, Path cache, boolean create, Duration lockTimeout,
                                       Consumer<String> onWait, SshConnection.Settings ssh, S3Settings s3) {
        try {
            return switch (url) {
                case RemoteUrl.Local l -> local(l, name, create, lockTimeout, onWait);
                case RemoteUrl.Ssh s -> ssh(s, name, cache, create, ssh);
                case RemoteUrl.Http h -> http(h, name, cache, create);
                case RemoteUrl.S3 o -> s3(o, name, cache, create, onWait, s3);
            };
        } catch (IOException e) {
            throw ToolstackException.failed("cannot open remote " + url.text() + ": " + dev.vmtree.store.fs.IoErrors.reason(e));
        }
    }

    /**
     * An SSH remote: one session for both JGit's transport (meta.git) and SFTP (the pack files). The
     * chunk remote owns the session: closing it ends both.
     */
    private static Transfer.Remote ssh(RemoteUrl.Ssh s, String name, Path cache, boolean create,
                                       SshConnection.Settings settings) throws IOException {
        SshConnection c = SshConnection.open(s, settings);
        SftpFiles files = null;
        try {
            files = new SftpFiles(c, s.path(), s.text());
            String store = files.isDirectory("") ? RemoteLayout.probe(files) : null;
            if (store == null) {
                if (!create) {
                    throw ToolstackException.failed(s.text() + " is not a vmtree repository");
                }
                if (files.exists("")) {
                    if (!files.isDirectory("")) {
                        throw ToolstackException.failed(s.text() + " is a file, not a directory");
                    }
                } else {
                    files.mkdirs("");
                }
                RemoteLayout.createBare(files);
                store = "";
            }
            URIish meta = c.gitUri(s, files.at(store + "meta.git"));
            return new Transfer.Remote(name, s.text(), meta, new PackFileChunks(files, store, cache), c::configure);
        } catch (IOException | RuntimeException e) {
            if (files != null) {
                files.close();
            } else {
                c.close();
            }
            throw e;
        }
    }

    /**
     * A static layout on a web server: FORMAT probed over HTTP, meta.git through JGit's dumb HTTP
     * transport, chunks as pack files read by ranges. Read-only: a push is refused here.
     */
    private static Transfer.Remote http(RemoteUrl.Http h, String name, Path cache, boolean create) throws IOException {
        if (create) {
            throw ToolstackException.failed(h.text() + " is a read-only static HTTP layout: push to a path or SSH remote,"
                    + " and publish it with `vmtree remote export DIR`");
        }
        HttpFiles files = new HttpFiles(h.base());
        try {
            String store = RemoteLayout.probe(files);
            if (store == null) {
                throw ToolstackException.failed(h.text() + " is not a vmtree remote: it has no FORMAT file"
                        + " (`vmtree remote export DIR` writes one, for a web server to serve)");
            }
            URIish meta;
            try {
                meta = new URIish(h.base().resolve(store + "meta.git").toString());
            } catch (java.net.URISyntaxException e) {
                throw ToolstackException.badInput("not an HTTP URL: " + h.text());
            }
            // JGit's dumb HTTP waits as long as HttpFiles does for a server that stops answering
            int seconds = (int) HttpFiles.IDLE_TIMEOUT.toSeconds();
            return new Transfer.Remote(name, h.text(), meta, new PackFileChunks(files, store, cache),
                    t -> t.setTimeout(seconds));
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e;
        }
    }

    /**
     * An object layout in an S3 bucket: FORMAT probed, refs and Git packs through {@link ObjectMeta},
     * chunks as pack files read by ranges. A push to an empty prefix creates the layout there.
     */
    private static Transfer.Remote s3(RemoteUrl.S3 u, String name, Path cache, boolean create,
                                      Consumer<String> notices, S3Settings settings) throws IOException {
        S3Files files = new S3Files(S3Settings.client(settings.resolve(u.endpoint(), u.text())), u.bucket(), u.prefix(),
                u.text());
        try {
            String store = RemoteLayout.probe(files);
            if (store == null) {
                if (!create) {
                    throw ToolstackException.failed(u.text() + " is not a vmtree remote: it has no FORMAT"
                            + " (a push there creates one)");
                }
                RemoteLayout.createObjects(files);
            } else if (!store.isEmpty()) {
                throw ToolstackException.failed(u.text() + " holds a repository's " + store
                        + ", not an object layout (push to an empty prefix instead)");
            }
            return new Transfer.Remote(name, u.text(), new ObjectMeta(files, cache, notices),
                    new PackFileChunks(files, "", cache));
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e;
        }
    }

    private static Transfer.Remote local(RemoteUrl.Local l, String name, boolean create, Duration lockTimeout,
                                         Consumer<String> onWait) throws IOException {
        Path root = l.path();
        LocalFiles files = new LocalFiles(root);
        String store = Files.isDirectory(root) ? RemoteLayout.probe(files) : null;
        if (store == null) {
            if (!create) {
                throw ToolstackException.failed(root + " is not a vmtree repository");
            }
            if (Files.exists(root) && !Files.isDirectory(root)) {
                throw ToolstackException.failed(root + " is a file, not a directory");
            }
            Files.createDirectories(root);
            RemoteLayout.createBare(files);
            store = "";
        }
        Path dir = root.resolve(store);
        Repository repo = Repository.openStore(dir);
        return new Transfer.Remote(name, l.text(), new URIish().setPath(dir.resolve("meta.git").toString()),
                new RepositoryChunks(repo, lockTimeout, onWait), null);
    }
}
