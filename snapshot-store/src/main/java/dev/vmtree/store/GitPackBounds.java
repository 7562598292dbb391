package dev.vmtree.store;

import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Bounds a bundle's Git pack before JGit parses it. JGit's {@code PackParser} allocates by what a
 * pack declares before it checks it: an array of the header's object count (2^31 from 4 bytes: an
 * OutOfMemoryError, found by BundleFuzzTest), and each delta's result at the size the delta states.
 * This walk reads those numbers without keeping anything: the count must fit the bytes (each object
 * takes at least 8: a type-and-size byte and a zlib stream of 7 or more), no object, whole or as a
 * delta's result, may be larger than a snapshot file may be ({@link MetaStore#MAX_FILE}), no commit, tree
 * or tag larger than {@link #MAX_METADATA}, and no size longer than 64 bits. Whatever else
 * is wrong with the pack (bad zlib data, truncation, wrong hashes) is left to JGit to report.
 */
final class GitPackBounds {
    private GitPackBounds() {}

    private static final int OBJ_COMMIT = 1;
    private static final int OBJ_TREE = 2;
    private static final int OBJ_BLOB = 3;
    private static final int OBJ_TAG = 4;
    private static final int OBJ_OFS_DELTA = 6;
    /** Largest commit, tree or tag: a snapshot's message and file list, or a tag's ({@link TagObject#MAX_BYTES}). */
    static final int MAX_METADATA = TagObject.MAX_BYTES;
    private static final int OBJ_REF_DELTA = 7;

    /** Why the Git bundle {@code meta} may not be given to JGit, or null. */
    static String check(byte[] meta, long maxObject) {
        int pack = indexOf(meta, "\n\nPACK".getBytes(StandardCharsets.US_ASCII));
        if (pack < 0) {
            return null;                                   // not a bundle JGit can read: it says why
        }
        return checkPack(meta, pack + 2, maxObject);
    }

    /** Why the Git pack at {@code meta[start..]} (its "PACK" signature) may not be given to JGit, or null. */
    static String checkPack(byte[] meta, int start, long maxObject) {
        if (meta.length < start + 12) {
            return null;                                   // too short to be a pack: JGit says why
        }
        int at = start + 8;
        long count = ((meta[at] & 0xffL) << 24) | ((meta[at + 1] & 0xff) << 16) | ((meta[at + 2] & 0xff) << 8)
                | (meta[at + 3] & 0xff);
        long room = meta.length - (at + 4);
        if (count > room / 8) {
            return "its Git pack declares " + count + " objects in " + room + " bytes";
        }
        int pos = at + 4;
        Inflater inflater = new Inflater();
        try {
            byte[] out = new byte[8192];
            for (long i = 0; i < count; i++) {
                if (pos >= meta.length) {
                    return null;
                }
                int c = meta[pos++] & 0xff;
                int type = (c >> 4) & 7;
                long size = c & 15;
                for (int shift = 4; (c & 0x80) != 0; shift += 7) {
                    if (pos >= meta.length) {
                        return null;
                    }
                    if (shift > 53) {
                        // JGit shifts on past 64 bits and may read a negative size, which it then
                        // allocates as an int (found by BundleFuzzTest): no real size is this long
                        return "its Git pack declares an object size longer than 64 bits";
                    }
                    c = meta[pos++] & 0xff;
                    size |= (long) (c & 0x7f) << shift;
                }
                if (type == OBJ_OFS_DELTA) {
                    while (pos < meta.length && (meta[pos++] & 0x80) != 0) {
                        // the base's offset: not needed here
                    }
                } else if (type == OBJ_REF_DELTA) {
                    pos += 20;
                }
                if (size > maxObject) {
                    return "its Git pack holds an object of " + size + " bytes, more than a snapshot file may be ("
                            + maxObject + ")";
                }
                if (type >= OBJ_COMMIT && type <= OBJ_TAG && type != OBJ_BLOB && size > MAX_METADATA) {
                    // JGit streams a blob but inflates a commit, tree or tag whole
                    return "its Git pack holds a " + (type == OBJ_COMMIT ? "commit" : type == OBJ_TREE ? "tree" : "tag")
                            + " of " + size + " bytes, more than one may be (" + MAX_METADATA + ")";
                }
                if (pos >= meta.length) {
                    return null;
                }
                // inflate the object (at most its declared size) to find where the next begins; a
                // delta's result size is the second number at the start of its data
                inflater.reset();
                inflater.setInput(meta, pos, meta.length - pos);
                long produced = 0;
                long[] head = new long[2];
                int headAt = 0;
                int shift = 0;
                while (!inflater.finished()) {
                    int n = inflater.inflate(out);
                    if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                        return null;
                    }
                    produced += n;
                    if (produced > size) {
                        return null;                       // more than declared: JGit refuses it
                    }
                    boolean delta = type == OBJ_OFS_DELTA || type == OBJ_REF_DELTA;
                    for (int k = 0; delta && headAt < 2 && k < n; k++) {
                        if (shift > 56) {
                            return "its Git pack holds a delta whose sizes are longer than 64 bits";
                        }
                        head[headAt] |= (long) (out[k] & 0x7f) << shift;
                        shift += 7;
                        if ((out[k] & 0x80) == 0) {
                            headAt++;
                            shift = 0;
                        }
                    }
                    if (delta && headAt == 2 && head[1] > maxObject) {
                        return "its Git pack holds a delta whose result is " + head[1] + " bytes, more than a"
                                + " snapshot file may be (" + maxObject + ")";
                    }
                }
                pos = meta.length - inflater.getRemaining();
            }
            return null;
        } catch (DataFormatException e) {
            return null;
        } finally {
            inflater.end();
        }
    }

    /** Where {@code needle} first occurs in {@code hay}, or -1. */
    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
