package dev.vmtree.store;

import java.util.function.Consumer;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

/**
 * How a remote keeps its snapshot commits, tag objects and refs: a Git repository reached through
 * one of JGit's transports ({@link Git}: a path, ssh://, dumb HTTP), or the ref log and Git packs
 * of an object store's layout ({@link ObjectMeta}: S3), where no Git server runs and refs move by
 * conditional creates instead of a locked file.
 */
public sealed interface MetaRemote permits MetaRemote.Git, ObjectMeta {

    /** meta.git at {@code uri}; {@code configure} sets up the transport (an SSH session factory), or null. */
    record Git(URIish uri, Consumer<Transport> configure) implements MetaRemote {}
}
