package dev.vmtree.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AbbreviatedObjectId;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;

/**
 * An {@link ObjectReader} over {@code meta.git} that hashes every object it hands out and compares
 * the hash with the id it was asked for, as chunks are checked against their SHA-256 on every read:
 * a loose object file replaced by another valid object (a parent's {@code images} blob in place of
 * the head's) would otherwise be read as the head's content. JGit checks neither loose objects nor
 * pack entries against their ids on read. A mismatch throws {@link DamagedObjectException}.
 *
 * <p>Every reader of snapshot metadata goes through one of these (RevWalk and TreeWalk take it as
 * their reader); objects are loaded whole (at most {@link MetaStore#MAX_FILE} bytes), which suits
 * metadata. It reports no commit-graph, so a walk parses (and verifies) each commit it visits. Not
 * thread-safe, as JGit's readers are not.
 */
public final class VerifyingObjectReader extends ObjectReader {
    private final ObjectReader delegate;
    private final Path gitDir;
    private final ObjectInserter.Formatter formatter = new ObjectInserter.Formatter();

    private VerifyingObjectReader(ObjectReader delegate, Path gitDir) {
        this.delegate = delegate;
        this.gitDir = gitDir;
    }

    /** A verifying reader over {@code git}'s object database. */
    public static VerifyingObjectReader of(org.eclipse.jgit.lib.Repository git) {
        return new VerifyingObjectReader(git.newObjectReader(), git.getDirectory().toPath());
    }

    @Override
    public ObjectReader newReader() {
        return new VerifyingObjectReader(delegate.newReader(), gitDir);
    }

    @Override
    public Collection<ObjectId> resolve(AbbreviatedObjectId id) throws IOException {
        return delegate.resolve(id);
    }

    @Override
    public boolean has(AnyObjectId id) throws IOException {
        return delegate.has(id);
    }

    @Override
    public boolean has(AnyObjectId id, int typeHint) throws IOException {
        return delegate.has(id, typeHint);
    }

    @Override
    public ObjectLoader open(AnyObjectId id, int typeHint) throws IOException {
        ObjectLoader loader = delegate.open(id, typeHint);
        int type = loader.getType();
        byte[] bytes;
        try {
            bytes = loader.getCachedBytes((int) MetaStore.MAX_FILE);
        } catch (MissingObjectException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DamagedObjectException("git object " + id.name() + " in " + gitDir + " is unreadable ("
                    + e.getMessage() + ")", e);
        }
        if (!formatter.idFor(type, bytes).equals(id)) {
            throw new DamagedObjectException("git object " + id.name() + " in " + gitDir
                    + " is damaged: its content does not match its id");
        }
        return new ObjectLoader.SmallObject(type, bytes);
    }

    @Override
    public Set<ObjectId> getShallowCommits() throws IOException {
        return delegate.getShallowCommits();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
