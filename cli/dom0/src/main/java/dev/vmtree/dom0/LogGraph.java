package dev.vmtree.dom0;

import dev.vmtree.store.SnapshotId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Draws the snapshot tree as text beside a log, in the style of {@code git log --graph}: one
 * column pair per open line of history ("lane"), {@code *} for a snapshot, {@code |} for a lane
 * passing by, {@code /} where a lane joins the one to its left ({@code _} when it must cross
 * others on the way, as git draws it), {@code \} where a merge opens a lane. Entries must come
 * children first (see {@link History#log}). Pure function of its input; thread-safe.
 */
public final class LogGraph {
    private LogGraph() {}

    /**
     * One output line: its graph prefix, the entry it shows (null for a connecting line), and for
     * an entry the prefix of its further lines (a multi-line log format).
     */
    public record Row(String graph, History.Entry entry, String continuation) {
        Row(String graph) {
            this(graph, null, null);
        }
    }

    public static List<Row> render(List<History.Entry> entries) {
        Set<SnapshotId> shown = new HashSet<>();
        entries.forEach(e -> shown.add(e.id()));
        List<SnapshotId> lanes = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (History.Entry e : entries) {
            int col = lanes.indexOf(e.id());
            if (col < 0) {
                lanes.add(e.id());
                col = lanes.size() - 1;
            }
            char[] line = straight(lanes.size());
            line[2 * col] = '*';
            List<SnapshotId> parents = e.parents().stream().filter(shown::contains).toList();
            char[] cont = straight(lanes.size());
            if (parents.isEmpty()) {
                cont[2 * col] = ' ';
            }
            rows.add(new Row(new String(line).stripTrailing(), e, new String(cont).stripTrailing()));
            if (parents.isEmpty()) {
                lanes.remove(col);
                shiftLeft(rows, lanes.size() + 1, col);
                continue;
            }
            lanes.set(col, parents.getFirst());
            for (SnapshotId extra : parents.subList(1, parents.size())) {
                if (!lanes.contains(extra)) {
                    lanes.add(extra);
                    rows.add(new Row(opening(lanes.size(), col)));
                }
            }
            // A parent now held by two lanes: the right one joins the left one.
            for (int src = lanes.size() - 1; src > 0; src--) {
                int dst = lanes.indexOf(lanes.get(src));
                if (dst < src) {
                    join(rows, lanes.size(), dst, src);
                    lanes.remove(src);
                }
            }
        }
        return rows;
    }

    private static char[] straight(int lanes) {
        char[] line = new char[Math.max(0, 2 * lanes - 1)];
        Arrays.fill(line, ' ');
        for (int i = 0; i < lanes; i++) {
            line[2 * i] = '|';
        }
        return line;
    }

    /** Lanes right of a lane that ended at {@code col} move one column left: "| / /". */
    private static void shiftLeft(List<Row> rows, int width, int col) {
        if (col >= width - 1) {
            return;
        }
        char[] line = straight(width);
        for (int k = col; k < width; k++) {
            line[2 * k] = ' ';
            if (k > col) {
                line[2 * k - 1] = '/';
            }
        }
        rows.add(new Row(new String(line).stripTrailing()));
    }

    /** Lane {@code src} joins lane {@code dst} (dst < src); lanes right of src move one column left. */
    private static void join(List<Row> rows, int width, int dst, int src) {
        char[] a = straight(width);
        a[2 * src] = ' ';
        a[2 * src - 1] = '/';
        for (int k = src + 1; k < width; k++) {
            a[2 * k] = ' ';
            a[2 * k - 1] = '/';
        }
        for (int c = 2 * dst + 3; c <= 2 * src - 3; c += 2) {
            a[c] = '_';
        }
        rows.add(new Row(new String(a).stripTrailing()));
        if (src > dst + 1) {
            char[] b = straight(width - 1);
            b[2 * dst + 1] = '/';
            rows.add(new Row(new String(b).stripTrailing()));
        }
    }

    /** A merge opened a new lane at the right edge, fed from {@code col}: "|\" or "|-." across. */
    private static String opening(int width, int col) {
        char[] line = straight(width);
        int last = width - 1;
        line[2 * last] = ' ';
        if (col == last - 1) {
            line[2 * col + 1] = '\\';
        } else {
            for (int c = 2 * col + 1; c < 2 * last; c++) {
                if (c % 2 == 1 || c == 2 * last - 1) {
                    line[c] = '-';
                }
            }
            line[2 * last - 1] = '.';
        }
        return new String(line).stripTrailing();
    }
}
