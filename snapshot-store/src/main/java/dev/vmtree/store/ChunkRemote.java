package dev.vmtree.store;

import java.io.IOException;
import java.util.Collection;

/**
 * The chunks of a remote store, seen from here: which it holds, reading their records, and adding
 * records to it. Either another repository on this machine ({@link RepositoryChunks}, under its
 * writer lock) or the pack files of a remote layout reached through
 * {@link dev.vmtree.store.remote.RemoteFiles} ({@link PackFileChunks}). Neither verifies what it
 * reads: {@link Transfer} checks every record against its id before it is stored.
 */
public sealed interface ChunkRemote extends AutoCloseable permits RepositoryChunks, PackFileChunks {

    /**
     * Receives one record as the remote stored it: {@code buf[off, off+len)}. The remote never
     * writes to {@code buf} again once it is handed over, so a receiver may keep it.
     */
    interface RecordConsumer {
        void accept(ChunkId id, byte[] buf, int off, int len) throws IOException;
    }

    /** Records being added to the remote; none is visible there before {@link #publish}. */
    interface Upload extends AutoCloseable {
        void put(ChunkId id, byte[] record, int rawLength) throws IOException;

        /** Makes every record put so far durable and visible on the remote. */
        void publish() throws IOException;

        /** Abandons what was not published. */
        @Override
        void close() throws IOException;
    }

    /** Whether the remote holds the chunk (published). */
    boolean has(ChunkId id) throws IOException;

    /**
     * Calls {@code out} once for each of {@code ids}, in whatever order reads best.
     *
     * @throws TransferException when the remote lacks one of them or holds a malformed index
     * @throws IOException when the transport fails (the caller may resume later)
     */
    void read(Collection<ChunkId> ids, RecordConsumer out) throws IOException;

    /**
     * The record read for {@code id} failed verification: forget whatever is cached about where it
     * lies (a pack index kept from an earlier fetch), so a repaired remote is read afresh.
     */
    default void distrust(ChunkId id) throws IOException {}

    /** Starts adding records; the remote must be writable. */
    Upload upload() throws IOException;

    @Override
    void close() throws IOException;
}
