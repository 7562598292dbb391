package dev.vmtree.store;

import dev.vmtree.store.pack.PackFormat;
import dev.vmtree.store.pack.PackIndex;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The structure-aware half of the bundle fuzzing: an input is an edit script applied to the
 * entries of a valid bundle, after which every checksum and declared size the script did not ask to
 * leave alone is made consistent again, so an edit deep inside (a record's raw length, a ref's name in
 * both the header and the Git bundle) gets past the outer checks and meets the inner ones. Any bytes
 * are a script; a script that runs out of bytes stops. Format (docs/security.md, "Fuzzing"):
 *
 * <pre>
 * flags   bits 0-1 which bundle (0 full, 1 thin, 2 base, 3 full); bit 2 check only (no apply);
 *         bit 3 no --force; bit 4 keep record CRCs as edited; bit 5 keep the index as edited
 *         (else rebuilt from the pack's records); bit 6 keep the header's entry and chunks lines;
 *         bit 7 keep the header's crc32c line
 * op...   first byte mod 15 picks the op, then its arguments (u16/u32 big-endian; PART is an entry
 *         index mod the entry count; N bytes of data follow a length byte):
 *   0 overwrite PART u16:offset u8:n data   1 truncate PART u16:length    2 insert PART u16:offset u8:n data
 *   3 rename PART u8:n name                 4 drop PART                   5 add u8:position u8:n name u8:m data
 *   6 type PART u8:flag                     7 declare PART u64:size       8 record u8:k u8:field u32:value
 *   9 rename ref u8:k u8:n name            10 ref id u8:k 20 bytes       11 header line u8:n text
 *  12 flip byte of the file u32:offset u8:xor                            13 cut the file u32:length
 *  14 PAX record in front of PART u8:n "key=value"
 * </pre>
 */
final class BundleEdits {
    private BundleEdits() {}

    static final int OPS = 15;
    static final int THIN = 1;
    static final int BASE = 2;
    static final int CHECK_ONLY = 1 << 2;
    static final int NO_FORCE = 1 << 3;
    static final int KEEP_RECORD_CRCS = 1 << 4;
    static final int KEEP_INDEX = 1 << 5;
    static final int KEEP_SIZES = 1 << 6;
    static final int KEEP_HEADER_CRC = 1 << 7;

    /** What a script makes: the bundle file's bytes and how to read it. */
    record Result(byte[] file, boolean apply, boolean force) {}

    /** Applies {@code script} to {@code bundles[flags & 3]} (full, thin, base, full). */
    static Result apply(byte[] script, List<List<TarBytes.Entry>> bundles) {
        ByteBuffer in = ByteBuffer.wrap(script);
        int flags = in.hasRemaining() ? in.get() & 0xff : 0;
        List<TarBytes.Entry> parts = new ArrayList<>(bundles.get((flags & 3) == 3 ? 0 : flags & 3));
        List<int[]> fileOps = new ArrayList<>();
        try {
            while (in.hasRemaining()) {
                int op = (in.get() & 0xff) % OPS;
                if (op == 12 || op == 13) {
                    fileOps.add(new int[] {op, in.getInt(), op == 12 ? in.get() : 0});
                } else if (op == 5) {
                    int at = (in.get() & 0xff) % (parts.size() + 1);
                    parts.add(at, new TarBytes.Entry(text(in), bytes(in)));
                } else if (op == 8 || op == 9 || op == 10 || op == 11) {
                    edit(op, in, parts);
                } else if (!parts.isEmpty()) {
                    int p = (in.get() & 0xff) % parts.size();
                    parts.set(p, editPart(op, in, parts.get(p)));
                    if (op == 4) {
                        parts.remove(p);
                    }
                }
            }
        } catch (java.nio.BufferUnderflowException end) {
            // the script ran out of bytes: the edits so far stand
        }
        fix(parts, flags);
        byte[] file = TarBytes.write(parts);
        for (int[] f : fileOps) {
            if (f[0] == 12 && file.length > 0) {
                file[Integer.remainderUnsigned(f[1], file.length)] ^= (byte) f[2];
            } else if (f[0] == 13) {
                file = Arrays.copyOf(file, Integer.remainderUnsigned(f[1], file.length + 1));
            }
        }
        return new Result(file, (flags & CHECK_ONLY) == 0, (flags & NO_FORCE) == 0);
    }

    private static TarBytes.Entry editPart(int op, ByteBuffer in, TarBytes.Entry e) {
        byte[] d = e.data();
        return switch (op) {
            case 0 -> {
                int off = (in.getShort() & 0xffff) % (d.length + 1);
                byte[] with = bytes(in);
                byte[] n = Arrays.copyOf(d, Math.max(d.length, off + with.length));
                System.arraycopy(with, 0, n, off, with.length);
                yield e.withData(n);
            }
            case 1 -> e.withData(Arrays.copyOf(d, (in.getShort() & 0xffff) % (d.length + 1)));
            case 2 -> {
                int off = (in.getShort() & 0xffff) % (d.length + 1);
                byte[] with = bytes(in);
                byte[] n = new byte[d.length + with.length];
                System.arraycopy(d, 0, n, 0, off);
                System.arraycopy(with, 0, n, off, with.length);
                System.arraycopy(d, off, n, off + with.length, d.length - off);
                yield e.withData(n);
            }
            case 3 -> e.withName(text(in));
            case 6 -> e.withType(in.get());
            case 7 -> e.withDeclared(in.getLong() & Long.MAX_VALUE);
            case 14 -> e.withPax(text(in));
            default -> e;                         // 4, drop: removed by the caller
        };
    }

    /** Ops on one part found by its name: a pack record's field, a ref, a header line. */
    private static void edit(int op, ByteBuffer in, List<TarBytes.Entry> parts) {
        int header = find(parts, Bundle.HEADER);
        int meta = find(parts, Bundle.META);
        int pack = find(parts, Bundle.PACK);
        if (op == 8) {
            int k = in.get() & 0xff;
            int field = (in.get() & 0xff) % 4;
            int value = in.getInt();
            if (pack >= 0) {
                parts.set(pack, parts.get(pack).withData(recordField(parts.get(pack).data(), k, field, value)));
            }
            return;
        }
        if (op == 11) {
            String line = text(in);
            if (header >= 0) {
                String h = new String(parts.get(header).data(), StandardCharsets.ISO_8859_1);
                int crc = h.lastIndexOf("crc32c ");
                h = crc < 0 ? h + line + "\n" : h.substring(0, crc) + line + "\n" + h.substring(crc);
                parts.set(header, parts.get(header).withData(h.getBytes(StandardCharsets.ISO_8859_1)));
            }
            return;
        }
        int k = in.get() & 0xff;
        String replacement = op == 9 ? text(in) : HexFormat.of().formatHex(array(in, 20));
        // the k-th ref line of the header, "ref HEX NAME", and the same ref in the Git bundle, "HEX NAME"
        if (header < 0) {
            return;
        }
        String h = new String(parts.get(header).data(), StandardCharsets.ISO_8859_1);
        List<String> refs = h.lines().filter(l -> l.startsWith("ref ")).toList();
        if (refs.isEmpty()) {
            return;
        }
        String[] f = refs.get(k % refs.size()).split(" ", 3);
        if (f.length < 3) {
            return;
        }
        String was = f[1] + " " + f[2];
        String now = op == 9 ? f[1] + " " + replacement : replacement + " " + f[2];
        parts.set(header, parts.get(header).withData(h.replace("ref " + was + "\n", "ref " + now + "\n")
                .getBytes(StandardCharsets.ISO_8859_1)));
        if (meta >= 0) {
            byte[] m = parts.get(meta).data();
            int end = GitPackBounds.indexOf(m, "\n\n".getBytes(StandardCharsets.ISO_8859_1));
            if (end >= 0) {
                String head = new String(m, 0, end + 1, StandardCharsets.ISO_8859_1);
                // a tag's ref in the Git bundle names its tag object, not the commit: match the name
                String line = head.lines().filter(l -> l.endsWith(" " + f[2])).findFirst().orElse(null);
                if (line != null) {
                    String sha = line.substring(0, line.indexOf(' '));
                    String to = op == 9 ? sha + " " + replacement : replacement + " " + f[2];
                    byte[] nh = head.replace(line + "\n", to + "\n").getBytes(StandardCharsets.ISO_8859_1);
                    byte[] nm = new byte[nh.length + m.length - end - 1];
                    System.arraycopy(nh, 0, nm, 0, nh.length);
                    System.arraycopy(m, end + 1, nm, nh.length, m.length - end - 1);
                    parts.set(meta, parts.get(meta).withData(nm));
                }
            }
        }
    }

    /** Sets field 0 encoding, 1 raw length, 2 stored length or 3 header length of the k-th record. */
    private static byte[] recordField(byte[] pack, int k, int field, int value) {
        byte[] p = pack.clone();
        ByteBuffer bb = ByteBuffer.wrap(p);
        int at = PackFormat.PACK_HEADER;
        for (int i = 0; i < k && at + PackFormat.RECORD_HEADER <= p.length; i++) {
            at = next(bb, at);
            if (at < 0) {
                return p;
            }
        }
        if (at + PackFormat.RECORD_HEADER > p.length) {
            return p;
        }
        switch (field) {
            case 0 -> p[at] = (byte) value;
            case 1 -> bb.putInt(at + 4, value);
            case 2 -> bb.putInt(at + 8, value);
            default -> bb.putShort(at + 2, (short) value);
        }
        return p;
    }

    /** The offset after the record at {@code at}, or -1 when its lengths leave the pack. */
    private static int next(ByteBuffer bb, int at) {
        long end = at + (long) (bb.getShort(at + 2) & 0xffff) + Integer.toUnsignedLong(bb.getInt(at + 8))
                + PackFormat.RECORD_TRAILER;
        return end > bb.capacity() ? -1 : (int) end;
    }

    /** Makes checksums and declared sizes consistent again, except where the flags say to keep the edits. */
    private static void fix(List<TarBytes.Entry> parts, int flags) {
        int pack = find(parts, Bundle.PACK);
        int index = find(parts, Bundle.INDEX);
        long[] chunks = null;
        if (pack >= 0) {
            byte[] p = parts.get(pack).data().clone();
            ByteBuffer bb = ByteBuffer.wrap(p);
            List<PackIndex.Entry> entries = new ArrayList<>();
            long raw = 0;
            int at = PackFormat.PACK_HEADER;
            while (at + PackFormat.RECORD_HEADER <= p.length) {
                int end = next(bb, at);
                if (end < 0) {
                    break;
                }
                if ((flags & KEEP_RECORD_CRCS) == 0) {
                    CRC32C crc = new CRC32C();
                    crc.update(p, at, end - 4 - at);
                    bb.putInt(end - 4, (int) crc.getValue());
                }
                entries.add(new PackIndex.Entry(ChunkId.fromBytes(p, at + 12), at, end - at, bb.getInt(at + 4)));
                raw += bb.getInt(at + 4);
                at = end;
            }
            parts.set(pack, parts.get(pack).withData(p));
            if ((flags & KEEP_INDEX) == 0 && index >= 0
                    && entries.stream().map(PackIndex.Entry::id).distinct().count() == entries.size()) {
                parts.set(index, parts.get(index).withData(PackIndex.encode(entries.toArray(PackIndex.Entry[]::new),
                        p.length)));
                chunks = new long[] {entries.size(), raw};
            }
        }
        int header = find(parts, Bundle.HEADER);
        if (header < 0 || (flags & (KEEP_SIZES | KEEP_HEADER_CRC)) == (KEEP_SIZES | KEEP_HEADER_CRC)) {
            return;                               // the header exactly as edited
        }
        StringBuilder sb = new StringBuilder();
        for (String line : new String(parts.get(header).data(), StandardCharsets.ISO_8859_1).split("\n", -1)) {
            String[] f = line.split(" ", -1);           // never empty, even for a line of spaces
            if (f[0].equals("crc32c") && (flags & KEEP_HEADER_CRC) == 0 || line.isEmpty()) {
                continue;
            }
            if ((flags & KEEP_SIZES) == 0 && f[0].equals("entry") && f.length == 3 && find(parts, f[1]) >= 0) {
                line = "entry " + f[1] + " " + parts.get(find(parts, f[1])).data().length;
            } else if ((flags & KEEP_SIZES) == 0 && f[0].equals("chunks") && chunks != null) {
                line = "chunks " + chunks[0] + " " + chunks[1];
            }
            sb.append(line).append('\n');
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        if ((flags & KEEP_HEADER_CRC) == 0) {
            CRC32C crc = new CRC32C();
            crc.update(text);
            sb.append(String.format("crc32c %08x\n", crc.getValue()));
            text = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
        parts.set(header, parts.get(header).withData(text));
    }

    private static int find(List<TarBytes.Entry> parts, String name) {
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] bytes(ByteBuffer in) {
        return array(in, in.get() & 0xff);
    }

    private static String text(ByteBuffer in) {
        return new String(bytes(in), StandardCharsets.ISO_8859_1);
    }

    private static byte[] array(ByteBuffer in, int n) {
        byte[] b = new byte[Math.min(n, in.remaining())];
        in.get(b);
        return b;
    }
}
