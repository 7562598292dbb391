package dev.vmtree.dom0;

import dev.vmtree.store.ChunkId;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The live-migration stream, version 1 (docs/format.md, "Migration stream"): what a source Dom0 sends
 * the destination's Dom0 after the migration's round-0 snapshot has been pushed there. The chunks each
 * pre-copy round found new (pages the guest dirtied, the page-tree nodes above them, changed state
 * files), each round closed by a {@link Round} record, then the {@link State} the instance resumes
 * from and an {@link End}. Binary, little-endian: a 6-byte header ("VMMS", version, flags), then
 * records of a type byte, a u32 body length and the body.
 *
 * <p>The {@link Reader} is the destination's parser of what another process sent: it checks every
 * record before it hands it on (each chunk against its SHA-256 id, counts against what came, the order
 * of records, every field of the state) and refuses anything else with a {@link BadStreamException}
 * of one line; it allocates only as bytes arrive. Threading: one thread per reader or writer.
 */
public final class MigrationStream {
    private MigrationStream() {}

    public static final int VERSION = 1;
    static final byte[] MAGIC = {'V', 'M', 'M', 'S'};
    static final int CHUNK = 1, ROUND = 2, STATE = 3, END = 4;
    /** The largest chunk a store holds. */
    public static final int MAX_CHUNK = dev.vmtree.store.pack.PackFormat.MAX_CHUNK;
    static final int MAX_STATE = 64 << 10;
    static final int MAX_IMAGES = 64, MAX_FILES = 256;

    /** A record of the stream. */
    public sealed interface Record permits Chunk, Round, State, End {}

    /** A chunk the destination lacks: {@code id} is the SHA-256 of {@code data}, never all zero. */
    public record Chunk(ChunkId id, byte[] data) implements Record {}

    /**
     * The end of pre-copy round {@code round} (1, 2, ...): {@code chunks} chunk records came in it;
     * {@code dirtyPages} pages had changed since the round before (for the figures; not checked).
     */
    public record Round(int round, int chunks, long dirtyPages) implements Record {}

    /**
     * The state the instance resumes from at the destination: the working state of the last round
     * (every chunk of its trees is at the destination once the stream has been applied) and what the
     * instance record held beside it.
     */
    public record State(String instance, SnapshotId base, String branch, StateId state, long instructionsSinceBase,
                        GenerationId pendingGeneration, Map<String, PageTreeRoot> images, Map<String, ChunkId> files)
            implements Record {
        public State {
            InstanceRecord.checkName(instance);
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(state, "state");
            if (branch != null) {
                Refs.checkName("branch", branch);
            }
            images = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(images));
            files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
            // the working state's own checks: image and file names, the instruction count
            new WorkingState(state, images, files, instructionsSinceBase);
        }

        /** The working state it names. */
        public WorkingState working() {
            return new WorkingState(state, images, files, instructionsSinceBase);
        }
    }

    /** The end of the stream: how many rounds and chunks it carried. */
    public record End(int rounds, long chunks) implements Record {}

    /** A stream that is not version 1 of this format, or breaks its rules; one line. */
    public static final class BadStreamException extends IOException {
        BadStreamException(String why) {
            super("bad migration stream: " + why);
        }
    }

    // ---- writing --------------------------------------------------------------------------------

    /** Writes a stream: the header at once, then records in the order the format requires. */
    public static final class Writer {
        private final OutputStream out;
        private int rounds;
        private int inRound;
        private long chunks;

        public Writer(OutputStream out) throws IOException {
            this.out = out;
            out.write(MAGIC);
            out.write(VERSION);
            out.write(0);
        }

        public void chunk(ChunkId id, byte[] data) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(ChunkId.BYTES);     // the digest's bytes in order, as ChunkId.fromBytes reads them
            id.write(b);
            record(CHUNK, b.array(), data);
            inRound++;
            chunks++;
        }

        /** Ends the current round. */
        public void round(long dirtyPages) throws IOException {
            rounds++;
            record(ROUND, le(16).putInt(rounds).putInt(inRound).putLong(dirtyPages).array(), new byte[0]);
            inRound = 0;
        }

        public void state(State s) throws IOException {
            record(STATE, encodeState(s), new byte[0]);
        }

        public void end() throws IOException {
            record(END, le(12).putInt(rounds).putLong(chunks).array(), new byte[0]);
            out.flush();
        }

        public void flush() throws IOException {
            out.flush();
        }

        private void record(int type, byte[] head, byte[] body) throws IOException {
            out.write(le(5).put((byte) type).putInt(head.length + body.length).array());
            out.write(head);
            out.write(body);
        }
    }

    static byte[] encodeState(State s) {
        StringBuilder sb = new StringBuilder();
        sb.append("instance ").append(s.instance()).append('\n');
        sb.append("base ").append(s.base().hex()).append('\n');
        sb.append("state ").append(s.state().hex()).append('\n');
        sb.append("instructions ").append(s.instructionsSinceBase()).append('\n');
        if (s.branch() != null) {
            sb.append("branch ").append(s.branch()).append('\n');
        }
        if (s.pendingGeneration() != null) {
            sb.append("generation ").append(s.pendingGeneration().hex()).append('\n');
        }
        s.images().forEach((n, t) -> sb.append("image ").append(n).append(' ').append(t.size()).append(' ')
                .append(t.pageSize()).append(' ').append(t.root().hex()).append('\n'));
        s.files().forEach((n, c) -> sb.append("file ").append(n).append(' ').append(c.hex()).append('\n'));
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---- reading --------------------------------------------------------------------------------

    /** Parses a stream record by record; see the class comment. */
    public static final class Reader {
        private final InputStream in;
        private boolean header;
        private int rounds;
        private int inRound;
        private long chunks;
        private boolean stated;
        private boolean ended;

        public Reader(InputStream in) {
            this.in = in;
        }

        /**
         * The next record, checked. After {@link End} nothing more is read (the connection goes back
         * to the control protocol).
         *
         * @throws BadStreamException when the bytes break the format (one line)
         * @throws IOException        when the connection fails
         */
        public Record next() throws IOException {
            if (ended) {
                throw new IllegalStateException("the stream has ended");
            }
            if (!header) {
                byte[] h = bytes(6, "its header");
                if (!Arrays.equals(Arrays.copyOf(h, 4), MAGIC)) {
                    throw new BadStreamException("it does not start with VMMS");
                }
                if (h[4] != VERSION) {
                    throw new BadStreamException("version " + (h[4] & 0xff) + ", this vmtree reads version " + VERSION);
                }
                if (h[5] != 0) {
                    throw new BadStreamException("unknown flags " + (h[5] & 0xff));
                }
                header = true;
            }
            ByteBuffer h = ByteBuffer.wrap(bytes(5, "a record header")).order(ByteOrder.LITTLE_ENDIAN);
            int type = h.get() & 0xff;
            long length = h.getInt() & 0xffffffffL;
            return switch (type) {
                case CHUNK -> chunk(length);
                case ROUND -> round(length);
                case STATE -> state(length);
                case END -> end(length);
                default -> throw new BadStreamException("unknown record type " + type);
            };
        }

        private Chunk chunk(long length) throws IOException {
            if (stated) {
                throw new BadStreamException("a chunk after the state record");
            }
            if (length <= ChunkId.BYTES || length > ChunkId.BYTES + (long) MAX_CHUNK) {
                throw new BadStreamException("a chunk record of " + length + " bytes (33 to " + (ChunkId.BYTES + MAX_CHUNK)
                        + ")");
            }
            ChunkId id = ChunkId.fromBytes(bytes(ChunkId.BYTES, "a chunk id"), 0);
            byte[] data = bytes((int) length - ChunkId.BYTES, "chunk " + id.shortHex());
            if (allZero(data)) {
                throw new BadStreamException("chunk " + id.shortHex() + " is all zeros (zero pages are never sent)");
            }
            if (!ChunkId.hash(data).equals(id)) {
                throw new BadStreamException("chunk " + id.shortHex() + " does not hash to its id");
            }
            inRound++;
            chunks++;
            return new Chunk(id, data);
        }

        private Round round(long length) throws IOException {
            ByteBuffer b = fixed(length, 16, "round");
            int round = b.getInt(), count = b.getInt();
            long dirty = b.getLong();
            if (stated) {
                throw new BadStreamException("a round after the state record");
            }
            if (round != rounds + 1) {
                throw new BadStreamException("round " + Integer.toUnsignedString(round) + " where round " + (rounds + 1)
                        + " was due");
            }
            if (count != inRound) {
                throw new BadStreamException("round " + round + " says " + Integer.toUnsignedString(count)
                        + " chunks, " + inRound + " came");
            }
            if (dirty < 0) {
                throw new BadStreamException("round " + round + " has a negative page count");
            }
            rounds++;
            inRound = 0;
            return new Round(round, count, dirty);
        }

        private State state(long length) throws IOException {
            if (stated) {
                throw new BadStreamException("a second state record");
            }
            if (rounds == 0 || inRound != 0) {
                throw new BadStreamException("the state record does not follow a round's end");
            }
            if (length > MAX_STATE) {
                throw new BadStreamException("a state record of " + length + " bytes (at most " + MAX_STATE + ")");
            }
            State s = parseState(bytes((int) length, "the state record"));
            stated = true;
            return s;
        }

        private End end(long length) throws IOException {
            ByteBuffer b = fixed(length, 12, "end");
            int r = b.getInt();
            long c = b.getLong();
            if (!stated) {
                throw new BadStreamException("it ends before its state record");
            }
            if (r != rounds || c != chunks) {
                throw new BadStreamException("its end counts " + Integer.toUnsignedString(r) + " rounds and "
                        + Long.toUnsignedString(c) + " chunks, " + rounds + " and " + chunks + " came");
            }
            ended = true;
            return new End(r, c);
        }

        private ByteBuffer fixed(long length, int want, String what) throws IOException {
            if (length != want) {
                throw new BadStreamException("a " + what + " record of " + length + " bytes, not " + want);
            }
            return ByteBuffer.wrap(bytes(want, "a " + what + " record")).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Exactly {@code n} bytes, allocated as they arrive (a length that lies costs no more than what came). */
        private byte[] bytes(int n, String what) throws IOException {
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw new BadStreamException("it ends inside " + what);
            }
            return b;
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** The body of a state record: UTF-8 lines {@code KEY VALUE...}, as docs/format.md lists them. */
    static State parseState(byte[] body) throws BadStreamException {
        String text = new String(body, StandardCharsets.UTF_8);
        if (!text.endsWith("\n") || !Arrays.equals(text.getBytes(StandardCharsets.UTF_8), body)) {
            throw new BadStreamException("the state record is not UTF-8 lines");
        }
        String instance = null, branch = null;
        SnapshotId base = null;
        StateId state = null;
        GenerationId generation = null;
        long instructions = -1;
        Map<String, PageTreeRoot> images = new LinkedHashMap<>();
        Map<String, ChunkId> files = new LinkedHashMap<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String[] f = lines[i].split(" ", -1);
            String key = f[0];
            try {
                if (!key.equals("image") && !key.equals("file") && !seen.add(key)) {
                    throw new IllegalArgumentException("appears twice");
                }
                switch (key) {
                    case "instance" -> instance = one(f);
                    case "base" -> base = new SnapshotId(one(f));
                    case "state" -> state = new StateId(one(f));
                    case "instructions" -> {
                        String v = one(f);
                        if (!v.matches("0|[1-9][0-9]{0,18}")) {
                            throw new IllegalArgumentException("not a count: '" + v + "'");
                        }
                        instructions = Long.parseLong(v);
                    }
                    case "branch" -> branch = one(f);
                    case "generation" -> generation = new GenerationId(one(f));
                    case "image" -> {
                        if (f.length != 5 || !f[2].matches("[1-9][0-9]{0,18}") || !f[3].matches("[1-9][0-9]{0,9}")) {
                            throw new IllegalArgumentException("not NAME SIZE PAGE-SIZE ROOT");
                        }
                        SnapshotContent.checkImageName(f[1]);
                        PageTreeRoot t = new PageTreeRoot(ChunkId.parse(f[4]), Long.parseLong(f[2]), Integer.parseInt(f[3]));
                        if (images.put(f[1], t) != null || images.size() > MAX_IMAGES) {
                            throw new IllegalArgumentException("image " + f[1] + " twice, or over " + MAX_IMAGES + " images");
                        }
                    }
                    case "file" -> {
                        if (f.length != 3) {
                            throw new IllegalArgumentException("not NAME CHUNK");
                        }
                        if (files.put(f[1], ChunkId.parse(f[2])) != null || files.size() > MAX_FILES) {
                            throw new IllegalArgumentException("file " + f[1] + " twice, or over " + MAX_FILES + " files");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown key");
                }
            } catch (RuntimeException e) {
                throw new BadStreamException("state line " + (i + 1) + " (" + MigrationCommit.printable(key) + "): "
                        + MigrationCommit.printable(e.getMessage()));
            }
        }
        if (instance == null || base == null || state == null || instructions < 0 || images.isEmpty()) {
            throw new BadStreamException("the state record lacks its instance, base, state, instructions or images");
        }
        try {
            return new State(instance, base, branch, state, instructions, generation, images, files);
        } catch (RuntimeException e) {
            throw new BadStreamException("the state record: " + MigrationCommit.printable(e.getMessage()));
        }
    }

    private static String one(String[] f) {
        if (f.length != 2 || f[1].isEmpty()) {
            throw new IllegalArgumentException("wants one value");
        }
        return f[1];
    }
}
