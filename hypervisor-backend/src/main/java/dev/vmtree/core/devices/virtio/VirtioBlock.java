package dev.vmtree.core.devices.virtio;

import dev.vmtree.cow.disk.BlockDevice;
import dev.vmtree.cow.disk.ReadOnlyDiskException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * virtio-blk (device id 2) over a {@link BlockDevice}: one request queue serving IN, OUT, FLUSH and
 * GET_ID; capacity (512-byte sectors), size_max and seg_max in configuration space; VIRTIO_BLK_F_RO
 * for snapshot disks. A request whose header is short, whose sectors run past the disk, whose
 * buffers lie outside RAM or that writes a read-only disk completes with status IOERR; unknown types
 * with UNSUPP. Only a chain with no writable byte for the status is a broken ring (DEVICE_NEEDS_RESET).
 * Data moves in 64 KiB pieces, so no guest length decides an allocation.
 */
public final class VirtioBlock implements VirtioDevice {
    public static final int ID = 2;
    public static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    public static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    public static final int F_SIZE_MAX = 1, F_SEG_MAX = 2, F_RO = 5, F_FLUSH = 9;
    public static final int SECTOR = 512, ID_BYTES = 20, QUEUE_MAX = 256;
    private static final int CHUNK = 64 * 1024;

    private final BlockDevice disk;
    private final boolean readOnly;
    private final byte[] serial;
    private final byte[] header = new byte[16];
    private byte[] buffer;
    private Queues queues;

    /** {@code readOnly} forces F_RO even on a writable disk; {@code serial} is returned by GET_ID (up to 20 bytes). */
    public VirtioBlock(BlockDevice disk, boolean readOnly, String serial) {
        this.disk = Objects.requireNonNull(disk, "disk");
        this.readOnly = readOnly || disk.readOnly();
        this.serial = Arrays.copyOf(serial.getBytes(StandardCharsets.US_ASCII), ID_BYTES);
    }

    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public int deviceId() {
        return ID;
    }

    @Override
    public long features() {
        return 1L << F_SIZE_MAX | 1L << F_SEG_MAX | 1L << F_FLUSH | (readOnly ? 1L << F_RO : 0);
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int queueMax() {
        return QUEUE_MAX;
    }

    @Override
    public long readConfig(int offset, int size) {
        byte[] c = new byte[16];
        Virtqueue.put(c, 0, 8, disk.size() / SECTOR);
        Virtqueue.put(c, 8, 4, CHUNK); // size_max
        Virtqueue.put(c, 12, 4, QUEUE_MAX - 2); // seg_max: leave room for header and status
        return offset >= 0 && offset + size <= c.length ? Virtqueue.leLong(c, offset, size) : 0;
    }

    @Override
    public void attach(Queues queues) {
        this.queues = queues;
    }

    @Override
    public void serve(int q) throws VirtqueueException {
        Chain chain;
        while ((chain = queues.pop(0)) != null) {
            if (chain.writableLength() < 1) {
                throw new VirtqueueException("block request " + chain.head() + " has no status byte");
            }
            long dataIn = chain.writableLength() - 1;
            long[] written = {0};
            int status = execute(chain, dataIn, written);
            if (!chain.write(dataIn, new byte[] {(byte) status}, 0, 1)) {
                throw new VirtqueueException("block status byte outside RAM");
            }
            queues.push(0, chain, written[0] + 1);
        }
    }

    private int execute(Chain chain, long dataIn, long[] written) {
        if (chain.readableLength() < header.length || !chain.read(0, header, 0, header.length)) {
            return S_IOERR;
        }
        int type = Virtqueue.le(header, 0, 4);
        long sector = Virtqueue.leLong(header, 8, 8);
        long dataOut = chain.readableLength() - header.length;
        return switch (type) {
            case T_IN -> inRange(sector, dataIn) ? readDisk(chain, sector * SECTOR, dataIn, written) : S_IOERR;
            case T_OUT -> readOnly || !inRange(sector, dataOut) ? S_IOERR : writeDisk(chain, sector * SECTOR, dataOut);
            case T_FLUSH -> {
                disk.flush();
                yield S_OK;
            }
            case T_GET_ID -> {
                int n = (int) Math.min(ID_BYTES, dataIn);
                if (!chain.write(0, serial, 0, n)) {
                    yield S_IOERR;
                }
                written[0] = n;
                yield S_OK;
            }
            default -> S_UNSUPP;
        };
    }

    private boolean inRange(long sector, long bytes) {
        long size = disk.size();
        return sector >= 0 && sector <= size / SECTOR && bytes <= size - sector * SECTOR;
    }

    private byte[] buffer() {
        if (buffer == null) {
            buffer = new byte[CHUNK];
        }
        return buffer;
    }

    private int readDisk(Chain chain, long at, long n, long[] written) {
        byte[] b = buffer();
        for (long done = 0; done < n; ) {
            int m = (int) Math.min(CHUNK, n - done);
            disk.read(at + done, b, 0, m);
            if (!chain.write(done, b, 0, m)) {
                return S_IOERR;
            }
            done += m;
            written[0] = done;
        }
        return S_OK;
    }

    private int writeDisk(Chain chain, long at, long n) {
        byte[] b = buffer();
        for (long done = 0; done < n; ) {
            int m = (int) Math.min(CHUNK, n - done);
            if (!chain.read(header.length + done, b, 0, m)) {
                return S_IOERR; // what came before stays written, as on a real disk that fails midway
            }
            try {
                disk.write(at + done, b, 0, m);
            } catch (ReadOnlyDiskException e) {
                return S_IOERR;
            }
            done += m;
        }
        return S_OK;
    }

    @Override
    public VirtioDeviceState save() {
        return new VirtioDeviceState.Block(disk.size(), readOnly);
    }

    @Override
    public void restore(VirtioDeviceState state) {
        if (!(state instanceof VirtioDeviceState.Block b) || b.capacityBytes() != disk.size() || b.readOnly() != readOnly) {
            throw new IllegalArgumentException("state " + state + " does not fit a virtio-blk of " + disk.size()
                    + " bytes" + (readOnly ? " (read-only)" : ""));
        }
    }
}
