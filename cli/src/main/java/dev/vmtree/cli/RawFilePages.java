package dev.vmtree.cli;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.LongFunction;

/**
 * The pages of a raw file, memory-mapped in 1 GiB windows, as a thread-safe page supplier
 * (absolute bulk gets never move a buffer's position). All-zero pages come back as null.
 */
final class RawFilePages implements LongFunction<byte[]>, AutoCloseable {
    private static final long WINDOW = 1L << 30;
    private final FileChannel ch;
    private final MappedByteBuffer[] windows;
    private final int pageSize;
    private final long size;

    RawFilePages(Path file, int pageSize) throws IOException {
        this.ch = FileChannel.open(file, StandardOpenOption.READ);
        this.size = ch.size();
        this.pageSize = pageSize;
        int n = (int) ((size + WINDOW - 1) / WINDOW);
        windows = new MappedByteBuffer[n];
        for (int i = 0; i < n; i++) {
            windows[i] = ch.map(FileChannel.MapMode.READ_ONLY, i * WINDOW, Math.min(WINDOW, size - i * WINDOW));
        }
    }

    long size() {
        return size;
    }

    @Override
    public byte[] apply(long index) {
        long off = index * pageSize;
        byte[] page = new byte[pageSize];
        windows[(int) (off / WINDOW)].get((int) (off % WINDOW), page);
        return Arrays.mismatch(page, new byte[pageSize]) == -1 ? null : page;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
