package dev.vmtree.store;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Consumer;

/** The chunks of another repository on this machine; uploads go through its writer lock. */
public final class RepositoryChunks implements ChunkRemote {
    private final Repository remote;
    private final Duration lockTimeout;
    private final Consumer<String> onWait;

    public RepositoryChunks(Repository remote, Duration lockTimeout, Consumer<String> onWait) {
        this.remote = remote;
        this.lockTimeout = lockTimeout;
        this.onWait = onWait;
    }

    /**
     * Refuses a repository whose branch or tag names a Git object it lacks, before JGit's
     * in-process upload-pack would print a stack trace on the way to failing.
     */
    void checkRefs(String describe) throws IOException {
        for (org.eclipse.jgit.lib.Ref r : remote.meta().git().getRefDatabase().getRefs()) {
            if (r.getObjectId() != null && !remote.meta().git().getObjectDatabase().has(r.getObjectId())) {
                throw new TransferException(describe + ": " + r.getName() + " names Git object " + r.getObjectId().name()
                        + ", which it does not have (run `vmtree fsck` there)");
            }
        }
    }

    @Override
    public boolean has(ChunkId id) {
        return remote.chunks().locate(id) != null;
    }

    @Override
    public void read(Collection<ChunkId> ids, RecordConsumer out) throws IOException {
        remote.chunks().refresh();
        for (ChunkId id : ids) {
            ChunkStore.Location loc = remote.chunks().locate(id);
            if (loc == null) {
                throw new TransferException(remote.topDirectory() + " lacks chunk " + id.hex()
                        + ", which its snapshots need (run `vmtree fsck` there)");
            }
            int len = loc.pack().index().recordLength(loc.entry());
            byte[] rec;
            try {
                rec = remote.chunks().readRecord(loc.pack().name(), loc.offset(), len);
            } catch (dev.vmtree.store.pack.ChunkCodec.DamagedRecordException e) {
                throw new TransferException("chunk " + id.hex() + " is damaged in " + remote.topDirectory() + ": "
                        + e.getMessage());
            }
            out.accept(id, rec, 0, len);
        }
    }

    @Override
    public Upload upload() {
        WriteTransaction tx = remote.beginWrite(lockTimeout, onWait);
        return new Upload() {
            @Override
            public void put(ChunkId id, byte[] record, int rawLength) {
                if (!tx.chunks().store().contains(id)) {
                    tx.chunks().copy(id, record, rawLength);
                }
            }

            @Override
            public void publish() {
                tx.flush();
            }

            @Override
            public void close() {
                tx.close();
            }
        };
    }

    @Override
    public void close() {
        remote.close();
    }
}
