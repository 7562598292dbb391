package dev.vmtree.core.replay;

import dev.vmtree.core.CorruptDataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A byte stream cut into pages of {@link ReplayLog#PAGE} bytes, as a ReplayLog of version 3 keeps
 * its event list and its payloads (docs/format.md "ReplayLog"): the store holds each stream as an
 * image, so it has no size limit of its own. Little-endian writer and reader; not thread-safe.
 */
final class PagedBytes {
    private PagedBytes() {}

    /** Appends bytes to pages; the last page is zero-padded. */
    static final class Writer {
        private final List<byte[]> pages = new ArrayList<>();
        private byte[] page;
        private int at = ReplayLog.PAGE;
        private long length;

        long position() {
            return length;
        }

        void u8(int v) {
            room();
            page[at++] = (byte) v;
            length++;
        }

        void u32(int v) {
            for (int i = 0; i < 4; i++) {
                u8(v >>> (8 * i));
            }
        }

        void u64(long v) {
            for (int i = 0; i < 8; i++) {
                u8((int) (v >>> (8 * i)));
            }
        }

        void bytes(byte[] b) {
            int done = 0;
            while (done < b.length) {
                room();
                int n = Math.min(b.length - done, ReplayLog.PAGE - at);
                System.arraycopy(b, done, page, at, n);
                at += n;
                done += n;
                length += n;
            }
        }

        /** Zeros up to {@code position} (not before where the stream stands). */
        void padTo(long position) {
            while (length < position) {
                room();
                int n = (int) Math.min(position - length, ReplayLog.PAGE - at);
                at += n;
                length += n;
            }
        }

        private void room() {
            if (at == ReplayLog.PAGE) {
                page = new byte[ReplayLog.PAGE];
                pages.add(page);
                at = 0;
            }
        }

        ReplayLog.Stream finish() {
            List<byte[]> out = new ArrayList<>(pages.size());
            for (byte[] p : pages) {
                out.add(isZero(p) ? null : p);
            }
            return new ReplayLog.Stream(length, out);
        }

        private static boolean isZero(byte[] p) {
            for (byte b : p) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Reads {@code length} bytes of a paged stream in order; reading past them is corrupt data. */
    static final class Reader {
        private final String name;
        private final ReplayLog.Pages pages;
        private final long length;
        private long position;
        private long pageIndex = -1;
        private byte[] page;

        Reader(String name, ReplayLog.Pages pages, long length) {
            this.name = name;
            this.pages = pages;
            this.length = length;
        }

        long position() {
            return position;
        }

        long remaining() {
            return length - position;
        }

        /** Makes page {@code index} the current one (null: a hole, all zeroes), checking its size. */
        private void turnTo(long index) {
            if (index == pageIndex) {
                return;
            }
            page = pages.page(index);
            if (page != null && page.length != ReplayLog.PAGE) {
                throw new CorruptDataException("replay log: " + name + " page " + index + " has " + page.length
                        + " bytes, not " + ReplayLog.PAGE);
            }
            pageIndex = index;
        }

        int u8() {
            if (position >= length) {
                throw new CorruptDataException("replay log: " + name + " truncated at byte " + position);
            }
            turnTo(position / ReplayLog.PAGE);
            int v = page == null ? 0 : page[(int) (position % ReplayLog.PAGE)] & 0xFF;
            position++;
            return v;
        }

        int u32() {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= u8() << (8 * i);
            }
            return v;
        }

        long u64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v |= (long) u8() << (8 * i);
            }
            return v;
        }

        byte[] bytes(long n) {
            if (n < 0 || n > remaining() || n > Integer.MAX_VALUE - 8) {
                throw new CorruptDataException("replay log: " + name + " field of " + n + " bytes at byte " + position
                        + " runs past the end");
            }
            byte[] b = new byte[(int) n];
            int done = 0;
            while (done < n) {
                long index = position / ReplayLog.PAGE;
                int off = (int) (position % ReplayLog.PAGE);
                int k = (int) Math.min(n - done, ReplayLog.PAGE - off);
                turnTo(index);
                if (page != null) {
                    System.arraycopy(page, off, b, done, k);
                } else {
                    Arrays.fill(b, done, done + k, (byte) 0);
                }
                done += k;
                position += k;
            }
            return b;
        }

        void skipTo(long p) {
            if (p < position || p > length) {
                throw new CorruptDataException("replay log: " + name + " cannot skip from byte " + position + " to " + p);
            }
            position = p;
        }
    }
}
