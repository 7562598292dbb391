package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.History;
import dev.vmtree.dom0.LogGraph;
import dev.vmtree.store.SnapshotId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmtree log and its graph, checked against plain git on the same meta.git. */
class LogCommandTest {
    @TempDir
    Path dir;

    private static String git(Path gitDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("git", "--git-dir=" + gitDir));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void graphOfABranchyTreeConnectsExactlyWhatGitConnects() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        SnapshotId a = f.snapshot(null, "main", "a");
        SnapshotId b = f.snapshot(a, "main", "b");
        SnapshotId c = f.snapshot(b, "main", "c");
        f.snapshot(c, "main", "d");
        SnapshotId x1 = f.snapshot(b, "x", "x1");
        f.snapshot(x1, "x", "x2");
        f.snapshot(a, "y", "y1");
        SnapshotId z1 = f.snapshot(c, "z", "z1");
        f.snapshot(z1, "z", "z2");
        f.snapshot(null, "other-root", "r1");
        f.vm("tag", "golden", b.hex()).ok();
        f.vm("instance", "add", "vm1", "x").ok();

        String ours = f.vm("log", "--graph", "--all", "--oneline").ok().out();
        Path gitDir = f.repo.resolve(".vmtree/meta.git");
        Map<String, String> parents = new HashMap<>();
        for (String line : git(gitDir, "log", "--all", "--format=%H %P").split("\n")) {
            String[] w = line.trim().split(" ");
            parents.put(w[0].substring(0, 12), w.length > 1 ? w[1].substring(0, 12) : null);
        }
        List<String[]> rows = new ArrayList<>();
        List<String> shownIds = new ArrayList<>();
        java.util.regex.Pattern commit = java.util.regex.Pattern.compile("([ |/_*]*\\*[ |]*?) ([0-9a-f]{12}) .*");
        for (String line : ours.split("\n")) {
            var m = commit.matcher(line);
            if (!m.matches()) {
                rows.add(new String[] {line, null});
            } else {
                shownIds.add(m.group(2));
                rows.add(new String[] {m.group(1), m.group(2)});
            }
        }
        assertThat(shownIds).containsExactlyInAnyOrderElementsOf(parents.keySet());
        GraphChecker.check(rows, parents);
        String gitGraph = git(gitDir, "log", "--graph", "--all", "--format=%h");
        assertThat(ours.lines().filter(l -> l.contains("*")).count())
                .isEqualTo(gitGraph.lines().filter(l -> l.contains("*")).count());
        assertThat(ours).contains(b.shortHex() + " (tag: golden) b").contains("(HEAD, x) x2")
                .contains(a.shortHex() + " a\n");
    }

    @Test
    void plainLogFollowsHeadAndShowsAuthorAndMessage() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        SnapshotId a = f.snapshot(null, "main", "first line\n\nbody");
        SnapshotId b = f.snapshot(a, "main", "second");
        f.snapshot(a, "side", "elsewhere");
        f.vm("instance", "add", "vm1", "main").ok();
        String out = f.vm("log").ok().out();
        assertThat(out).startsWith("snapshot " + b.hex() + " (HEAD, main)\nAuthor: vmtree <vmtree@localhost>\nDate:   ")
                .contains("\n    second\n\nsnapshot " + a.hex() + "\n").contains("    first line\n\n    body")
                .doesNotContain("elsewhere");
        assertThat(f.vm("log", "--oneline", "-n", "1").ok().out()).isEqualTo(b.shortHex() + " (HEAD, main) second\n");
        assertThat(f.vm("--json", "log", "side").ok().out()).contains("\"message\":\"elsewhere\",\"refs\":[\"side\"]")
                .contains("\"parents\":[\"" + a.hex() + "\"]");
        assertThat(f.vm("log", "nosuch").exit()).isEqualTo(1);
    }

    private static History.Entry entry(String id, String parent) {
        return new History.Entry(sid(id), parent == null ? List.of() : List.of(sid(parent)), Instant.EPOCH, "t <t@t>", id);
    }

    private static SnapshotId sid(String name) {
        return new SnapshotId(String.format("%040x", new java.math.BigInteger(1, name.getBytes(StandardCharsets.UTF_8))));
    }

    private static String draw(List<History.Entry> entries) {
        StringBuilder sb = new StringBuilder();
        for (LogGraph.Row r : LogGraph.render(entries)) {
            sb.append(r.graph()).append(r.entry() == null ? "" : " " + r.entry().message()).append('\n');
        }
        return sb.toString();
    }

    @Test
    void twoChildrenJoinTheirParentAsGitDrawsIt() {
        assertThat(draw(List.of(entry("c3", "c1"), entry("c2", "c1"), entry("c1", null))))
                .isEqualTo("* c3\n| * c2\n|/\n* c1\n");
    }

    @Test
    void aLaneCrossingAnotherIsDrawnWithUnderscoresAndStillConnects() {
        // f1 and f3 fork from p; f2 waits for q (an ancestor of p) in between: f3's lane must cross it.
        List<History.Entry> es = List.of(entry("f1", "p"), entry("f2", "q"), entry("e1", "e0"), entry("f3", "p"),
                entry("e0", "p"), entry("p", "q"), entry("q", null));
        String drawn = draw(es);
        assertThat(drawn).contains("_");
        List<String[]> rows = new ArrayList<>();
        Map<String, String> parents = new HashMap<>();
        es.forEach(e -> parents.put(e.message(), e.parents().isEmpty() ? null
                : es.stream().filter(o -> o.id().equals(e.parents().getFirst())).findFirst().orElseThrow().message()));
        for (String line : drawn.split("\n")) {
            int space = line.lastIndexOf(' ');
            rows.add(!line.contains("*") ? new String[] {line, null} : new String[] {line.substring(0, space),
                line.substring(space + 1)});
        }
        GraphChecker.check(rows, parents);
    }

    @Test
    void theCheckerRejectsAWrongDrawing() {
        Map<String, String> parents = Map.of("c3", "c1", "c2", "c1", "c1", "");
        Map<String, String> fixed = new HashMap<>(parents);
        fixed.put("c1", null);
        assertThatThrownBy(() -> GraphChecker.check(List.of(new String[] {"*", "c3"}, new String[] {"| *", "c2"},
                new String[] {"* |", "c1"}), fixed)).isInstanceOf(AssertionError.class);
    }
}
