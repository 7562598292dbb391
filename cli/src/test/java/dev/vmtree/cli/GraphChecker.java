package dev.vmtree.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a drawn graph back, character by character, and checks that its lines connect every
 * snapshot to exactly its parent: the test oracle for the graph renderer. It knows only the
 * drawing conventions ('*' node, '|' straight, '/' one column left, '_' further left along the
 * bottom, '\' one column right), not the renderer's lane algorithm.
 */
final class GraphChecker {
    private GraphChecker() {}

    /**
     * @param lines   graph prefix of each row, and for commit rows the id ("*" rows), in order
     * @param parents parent of each id (null: a root, or a parent not shown)
     */
    static void check(List<String[]> lines, Map<String, String> parents) {
        Map<Integer, Set<String>> at = new TreeMap<>(); // column -> identities flowing down it
        for (String[] row : lines) {
            String g = row[0];
            final Map<Integer, Set<String>> cur = at;
            int star = g.indexOf('*');
            Map<Integer, Set<String>> next = new TreeMap<>();
            if (star >= 0) {
                String id = row[1];
                for (int c = 0; c < g.length(); c++) {
                    char ch = g.charAt(c);
                    if (ch == '|') {
                        Set<String> s = at.get(c);
                        require(s != null && s.size() == 1, "lane at column " + c + " carries " + s + " at " + id);
                        next.put(c, s);
                    } else if (ch == '*') {
                        Set<String> s = at.getOrDefault(c, Set.of());
                        require(s.isEmpty() || s.equals(Set.of(id)), "snapshot " + id + " drawn on a lane waiting for " + s);
                        if (parents.get(id) != null) {
                            next.put(c, new LinkedHashSet<>(List.of(parents.get(id))));
                        }
                    } else {
                        require(ch == ' ', "unexpected '" + ch + "' in commit row " + g);
                    }
                }
                for (int c : at.keySet()) {
                    require(c < g.length() && (g.charAt(c) == '|' || g.charAt(c) == '*'), "lane at column " + c
                            + " ends without a snapshot at row " + g);
                }
            } else {
                Map<Integer, List<Integer>> outs = new TreeMap<>(); // top column -> bottom columns
                for (int c = 0; c < g.length(); c++) {
                    char ch = g.charAt(c);
                    switch (ch) {
                        case '|' -> outs.computeIfAbsent(c, k -> new ArrayList<>()).add(c);
                        case '/' -> {
                            int dst = c - 1;
                            while (dst - 1 >= 0 && g.charAt(dst - 1) == '_') {
                                dst -= 2;
                            }
                            outs.computeIfAbsent(c + 1, k -> new ArrayList<>()).add(dst);
                        }
                        case '\\' -> outs.computeIfAbsent(c - 1, k -> new ArrayList<>()).add(c + 1);
                        case ' ', '_' -> { }
                        default -> throw new AssertionError("unexpected '" + ch + "' in " + g);
                    }
                }
                for (int c : at.keySet()) {
                    require(outs.containsKey(c), "lane at column " + c + " stops in connector row '" + g + "'");
                }
                // First the unambiguous moves, then a column carrying two lanes splits: the lane that
                // meets its equal goes that way.
                Map<Integer, Set<String>> pending = new TreeMap<>();
                outs.forEach((top, bottoms) -> {
                    Set<String> ids = cur.get(top);
                    require(ids != null, "a line starts from nothing at column " + top + " in '" + g + "'");
                    if (bottoms.size() == 1) {
                        next.computeIfAbsent(bottoms.getFirst(), k -> new LinkedHashSet<>()).addAll(ids);
                    } else {
                        pending.put(top, ids);
                    }
                });
                pending.forEach((top, ids) -> {
                    require(ids.size() == outs.get(top).size(), "column " + top + " splits into "
                            + outs.get(top).size() + " lines but carries " + ids);
                    List<String> left = new ArrayList<>(ids);
                    for (int b : outs.get(top)) {
                        if (b == top) {
                            continue;
                        }
                        Set<String> there = next.getOrDefault(b, Set.of());
                        String mover = left.stream().filter(there::contains).findFirst()
                                .orElseThrow(() -> new AssertionError("a line from column " + top + " joins " + there
                                        + " but carries " + ids));
                        left.remove(mover);
                    }
                    require(left.size() == 1, "column " + top + " keeps " + left);
                    next.computeIfAbsent(top, k -> new LinkedHashSet<>()).addAll(left);
                });
            }
            at = next;
        }
        require(at.isEmpty(), "lanes still open after the last row: " + at);
    }

    private static void require(boolean ok, String why) {
        if (!ok) {
            throw new AssertionError(why);
        }
    }
}
