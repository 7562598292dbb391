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
 *
 * <p>Bounded host work: a request with more than {@link #SEG_MAX} data segments or a segment over
 * {@link #SIZE_MAX} bytes (the limits advertised in configuration space) fails with IOERR before a
 * byte moves, so one request moves at most about 16 MiB. The queue is paced: a QueueNotify serves
 * requests only while their {@link #cost} fits in {@link #NOTIFY_BUDGET}; the rest stay in the
 * available ring and each machine check point serves them until {@link #CHECK_POINT_BUDGET} is spent
 * (at least one request). Both moments are global instruction counts and the held-back requests are in guest RAM,
 * so pacing is deterministic and adds no state; a guest that notifies in a loop gets at most a budget
 * per notification and a request per check point, never gigabytes per instruction.
 */
public final class VirtioBlock implements VirtioDevice {
    public static final int ID = 2;
    public static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8;
    public static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    public static final int F_SIZE_MAX = 1, F_SEG_MAX = 2, F_RO = 5, F_FLUSH = 9;
    public static final int SECTOR = 512, ID_BYTES = 20, QUEUE_MAX = 256;
    private static final int CHUNK = 64 * 1024;
    /** Advertised size_max (largest data segment) and seg_max (data segments per request), enforced. */
    public static final int SIZE_MAX = CHUNK, SEG_MAX = QUEUE_MAX - 2;
    /** The {@link #cost} one QueueNotify may serve (a 64 KiB request fits); later requests wait for a check point. */
    public static final int NOTIFY_BUDGET = 128 * 1024;
    /** The {@link #cost} a check point serves (it always serves at least one waiting request). */
    public static final int CHECK_POINT_BUDGET = 1 << 20;
    /** What walking one descriptor counts as against those budgets, in bytes (see {@link #cost}). */
    public static final int DESCRIPTOR_COST = 512;

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
        Virtqueue.put(c, 8, 4, SIZE_MAX);
        Virtqueue.put(c, 12, 4, SEG_MAX); // leaves room in a chain for header and status
        return offset >= 0 && offset + size <= c.length ? Virtqueue.leLong(c, offset, size) : 0;
    }

    @Override
    public void attach(Queues queues) {
        this.queues = queues;
    }

    @Override
    public boolean paced(int q) {
        return true;
    }

    @Override
    public void serve(int q) throws VirtqueueException {
        serve(NOTIFY_BUDGET, false);
    }

    @Override
    public void checkPoint(int q) throws VirtqueueException {
        serve(CHECK_POINT_BUDGET, true);
    }

    /**
     * Serves requests in ring order while their cost fits in {@code budget} ({@code atLeastOne}: the
     * first is served whatever its cost); the first that does not fit is put back for a check point.
     */
    private void serve(long budget, boolean atLeastOne) throws VirtqueueException {
        Chain chain;
        boolean first = atLeastOne;
        while (budget > 0 && (chain = queues.pop(0)) != null) {
            if (chain.writableLength() < 1) {
                throw new VirtqueueException("block request " + chain.head() + " has no status byte");
            }
            boolean fits = chain.dataFits(header.length, 1, SEG_MAX, SIZE_MAX);
            long cost = cost(chain);
            if (cost > budget && !first) {
                queues.unpop(0);
                return;
            }
            first = false;
            budget -= cost;
            long dataIn = chain.writableLength() - 1;
            long[] written = {0};
            int status = fits ? execute(chain, dataIn, written) : S_IOERR;
            if (!chain.write(dataIn, new byte[] {(byte) status}, 0, 1)) {
                throw new VirtqueueException("block status byte outside RAM");
            }
            queues.push(0, chain, written[0] + 1);
        }
    }

    /**
     * What serving a chain costs against a budget: the bytes its buffers span, moved or not (a
     * refused giant chain counts in full, so it is served alone), plus {@link #DESCRIPTOR_COST} per
     * descriptor, so chains of empty descriptors cannot make one notification walk thousands.
     */
    static long cost(Chain chain) {
        return chain.readableLength() + chain.writableLength() + (long) DESCRIPTOR_COST * chain.descriptors();
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
