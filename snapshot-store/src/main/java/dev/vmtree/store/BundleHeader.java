package dev.vmtree.store;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The first entry of a bundle (docs/format.md, "Bundle", version 1): the refs it carries with their
 * snapshots, the snapshots it is thin against, and the exact size of every other entry and the
 * chunk totals, so a reader bounds every read before it makes it. Text, checksummed.
 *
 * @param refs      full ref names (refs/heads/*, refs/tags/*) and the snapshot each points at
 * @param bases     snapshots the receiver must already have (empty: a full bundle)
 * @param metaBytes size of the Git bundle entry
 * @param indexBytes size of the chunk index entry
 * @param packBytes size of the chunk pack entry
 * @param chunks    chunks in the pack
 * @param rawBytes  their total uncompressed size
 */
public record BundleHeader(Map<String, SnapshotId> refs, List<SnapshotId> bases, long metaBytes, long indexBytes,
                           long packBytes, long chunks, long rawBytes) {
    public static final int VERSION = 1;
    static final String MAGIC = "vmtree-bundle";
    static final int MAX_BYTES = 1 << 20;

    public BundleHeader {
        refs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(refs));
        bases = List.copyOf(bases);
    }

    byte[] encode() {
        StringBuilder sb = new StringBuilder(MAGIC + " " + VERSION + "\n");
        refs.forEach((name, id) -> sb.append("ref ").append(id.hex()).append(' ').append(name).append('\n'));
        bases.forEach(b -> sb.append("base ").append(b.hex()).append('\n'));
        sb.append("entry ").append(Bundle.META).append(' ').append(metaBytes).append('\n');
        sb.append("entry ").append(Bundle.INDEX).append(' ').append(indexBytes).append('\n');
        sb.append("entry ").append(Bundle.PACK).append(' ').append(packBytes).append('\n');
        sb.append("chunks ").append(chunks).append(' ').append(rawBytes).append('\n');
        CRC32C crc = new CRC32C();
        crc.update(sb.toString().getBytes(StandardCharsets.UTF_8));
        sb.append("crc32c ").append(String.format("%08x", crc.getValue())).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a header; {@code IllegalArgumentException} with a short, printable reason when it is not one. */
    static BundleHeader decode(byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("header is not UTF-8 text");
        }
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("header does not end with a newline");
        }
        int last = text.lastIndexOf('\n', text.length() - 2) + 1;
        String crcLine = text.substring(last, text.length() - 1);
        CRC32C crc = new CRC32C();
        // valid UTF-8 re-encodes to the same bytes: the prefix's length in bytes is where the crc line starts
        crc.update(bytes, 0, text.substring(0, last).getBytes(StandardCharsets.UTF_8).length);
        if (!crcLine.equals("crc32c " + String.format("%08x", crc.getValue()))) {
            throw new IllegalArgumentException("header checksum mismatch");
        }
        String[] lines = text.substring(0, last).split("\n");
        String[] first = lines[0].split(" ");
        if (first.length != 2 || !first[0].equals(MAGIC)) {
            throw new IllegalArgumentException("not a vmtree bundle");
        }
        if (!first[1].equals(String.valueOf(VERSION))) {
            throw new IllegalArgumentException("bundle format " + Bundle.printable(first[1])
                    + " is not one this vmtree reads (" + VERSION + ")");
        }
        Map<String, SnapshotId> refs = new LinkedHashMap<>();
        List<SnapshotId> bases = new ArrayList<>();
        Map<String, Long> entries = new LinkedHashMap<>();
        long chunks = -1;
        long raw = -1;
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ", -1);
            switch (f[0]) {
                case "ref" -> {
                    need(f.length == 3, lines[i]);
                    String name = f[2];
                    need((name.startsWith("refs/heads/") || name.startsWith("refs/tags/"))
                            && org.eclipse.jgit.lib.Repository.isValidRefName(name), "ref name " + name);
                    need(refs.put(name, id(f[1])) == null, "duplicate ref " + name);
                }
                case "base" -> {
                    need(f.length == 2, lines[i]);
                    bases.add(id(f[1]));
                }
                case "entry" -> {
                    need(f.length == 3, lines[i]);
                    need(entries.put(f[1], size(f[2])) == null, "duplicate entry " + f[1]);
                }
                case "chunks" -> {
                    need(f.length == 3 && chunks < 0, lines[i]);
                    chunks = size(f[1]);
                    raw = size(f[2]);
                }
                default -> { } // a later version may add lines
            }
        }
        need(!refs.isEmpty(), "no refs");
        need(chunks >= 0, "no chunks line");
        for (String e : List.of(Bundle.META, Bundle.INDEX, Bundle.PACK)) {
            need(entries.containsKey(e), "no entry line for " + e);
        }
        return new BundleHeader(refs, bases, entries.get(Bundle.META), entries.get(Bundle.INDEX),
                entries.get(Bundle.PACK), chunks, raw);
    }

    private static void need(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("bad header line: " + Bundle.printable(what));
        }
    }

    private static SnapshotId id(String hex) {
        need(hex.length() == 40 && hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')), hex);
        HexFormat.of().parseHex(hex);
        return new SnapshotId(hex);
    }

    private static long size(String s) {
        // ASCII digits only (Character.isDigit takes other scripts' digits too), and no more than a long holds
        need(s.length() <= 19 && !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9')
                && (s.length() < 19 || s.compareTo(String.valueOf(Long.MAX_VALUE)) <= 0), s);
        return Long.parseLong(s);
    }
}
