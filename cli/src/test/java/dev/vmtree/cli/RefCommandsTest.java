package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.SnapshotId;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** branch, tag, reflog and the revision syntax, run in-process as a user types them. */
class RefCommandsTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    SnapshotId a;
    SnapshotId b;
    SnapshotId c;

    @BeforeEach
    void history() {
        f = new Dom0Fixture(dir).init();
        a = f.snapshot(null, "main", "first");
        b = f.snapshot(a, "main", "second");
        c = f.snapshot(b, "main", "third");
        f.vm("instance", "add", "vm1", "main").ok();
    }

    @Test
    void branchListMarksTheCurrentInstancesBranch() {
        f.vm("branch", "experiment", "main~2").ok();
        Dom0Fixture.Result list = f.vm("branch").ok();
        assertThat(list.out()).contains("* main ").contains("  experiment ").contains(a.shortHex())
                .contains("[vm1]");
        assertThat(f.vm("--json", "branch").ok().out().trim())
                .isEqualTo("[{\"name\":\"experiment\",\"head\":\"" + a.hex() + "\",\"current\":false,\"instances\":[]},"
                        + "{\"name\":\"main\",\"head\":\"" + c.hex() + "\",\"current\":true,\"instances\":[\"vm1\"]}]");
    }

    @Test
    void revisionSyntaxResolvesBranchesTagsIdsAncestorsAndHead() {
        f.vm("branch", "p1", "main^").ok();
        f.vm("branch", "p2", "main~2").ok();
        f.vm("branch", "p3", c.hex().substring(0, 8)).ok();
        f.vm("branch", "p4", "@~1").ok();
        f.vm("branch", "p5", "HEAD").ok();
        f.vm("tag", "golden", "p2").ok();
        f.vm("branch", "p6", "golden").ok();
        f.vm("branch", "p7").ok();
        String out = f.vm("--json", "branch").ok().out();
        assertThat(out).contains("\"name\":\"p1\",\"head\":\"" + b.hex())
                .contains("\"name\":\"p2\",\"head\":\"" + a.hex())
                .contains("\"name\":\"p3\",\"head\":\"" + c.hex())
                .contains("\"name\":\"p4\",\"head\":\"" + b.hex())
                .contains("\"name\":\"p5\",\"head\":\"" + c.hex())
                .contains("\"name\":\"p6\",\"head\":\"" + a.hex())
                .contains("\"name\":\"p7\",\"head\":\"" + c.hex());
    }

    @Test
    void unknownRefIsAOneLineErrorWithStatus1() {
        Dom0Fixture.Result r = f.vm("branch", "x", "nosuch");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("vmtree: unknown revision 'nosuch': not a branch, tag or snapshot id"
                + " (see `vmtree branch`, `vmtree tag`, `vmtree log --all`)\n");
        assertThat(f.vm("branch", "x", "main~9").exit()).isEqualTo(1);
        assertThat(f.vm("branch", "bad..name").exit()).isEqualTo(2);
    }

    @Test
    void deletingABranchInUseOrUnreachedIsRefused() {
        f.vm("instance", "add", "vm2", "main").ok();
        Dom0Fixture.Result inUse = f.vm("branch", "-d", "main");
        assertThat(inUse.exit()).isEqualTo(1);
        assertThat(inUse.err()).contains("branch 'main' is in use by instance vm1, vm2");

        SnapshotId side = f.snapshot(a, "side", "diverged");
        Dom0Fixture.Result unreached = f.vm("branch", "-d", "side");
        assertThat(unreached.exit()).isEqualTo(1);
        assertThat(unreached.err()).contains("--force");
        assertThat(f.vm("branch", "-D", "side").ok().out()).contains("deleted branch side (was " + side.shortHex());

        f.vm("branch", "merged", "main~1").ok();
        f.vm("branch", "-d", "merged").ok();
        assertThat(f.vm("branch").out()).doesNotContain("merged").doesNotContain("side");
    }

    @Test
    void renamingABranchMovesItsInstances() {
        f.vm("branch", "-m", "main", "trunk").ok();
        assertThat(f.vm("branch").ok().out()).contains("* trunk").doesNotContain("main");
        assertThat(f.vm("instance", "list").ok().out()).contains("vm1").contains("trunk");
        assertThat(f.vm("reflog", "trunk").ok().out()).contains("trunk@{0}: branch: renamed main to trunk");
        // as in git, one name renames (or copies) the current branch
        assertThat(f.vm("branch", "-m", "stem").ok().out()).isEqualTo("renamed branch trunk to stem\n");
        assertThat(f.vm("branch", "-c", "stem2").ok().out()).isEqualTo("copied branch stem to stem2\n");
        assertThat(f.vm("branch").ok().out()).contains("* stem ").contains("  stem2 ").doesNotContain("trunk");
        f.vm("checkout", "--discard", c.hex()).ok();
        Dom0Fixture.Result detached = f.vm("branch", "-m", "other");
        assertThat(detached.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(detached.err()).startsWith("vmtree: instance vm1 is detached (on no branch); name the branch");
        Dom0Fixture.Result twice = f.vm("branch", "-m", "stem", "x", "-m", "y", "z");
        assertThat(twice.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(twice.err()).startsWith("vmtree: -m and -c take [OLD] NEW, once");
    }

    /**
     * Writes a snapshot on {@code branch} whose image is data no other snapshot has, then moves the
     * branch back to {@code back}: only the branch's reflog still names it (as after a rollback).
     */
    private dev.vmtree.store.PageTreeRoot snapshotOnlyTheReflogKeeps(String branch, SnapshotId back, int fill) {
        try (var r = dev.vmtree.store.Repository.open(f.repo); var tx = r.beginWrite()) {
            var image = tx.buildTree(16 * 4096, 4096, i -> {
                byte[] p = new byte[4096];
                java.util.Arrays.fill(p, (byte) (fill + i));
                return p;
            });
            SnapshotId head = r.resolveRef(branch).orElseThrow();
            SnapshotId d = tx.writeSnapshot(java.util.List.of(head),
                    new dev.vmtree.store.SnapshotContent(java.util.Map.of(), java.util.Map.of("data", image)), "data " + fill);
            assertThat(tx.updateRef(branch, head, d, "commit: data").ok()).isTrue();
            assertThat(tx.updateRef(branch, d, back, "rollback: to " + back.shortHex()).ok()).isTrue();
            return image;
        }
    }

    private boolean stored(dev.vmtree.store.PageTreeRoot image) {
        try (var r = dev.vmtree.store.Repository.open(f.repo)) {
            return r.chunks().contains(image.root());
        }
    }

    @Test
    void renamingABranchKeepsItsWholeReflogSoGcKeepsWhatItNames() {
        f.vm("branch", "side", "main").ok();
        var image = snapshotOnlyTheReflogKeeps("side", c, 7);
        String before = f.vm("reflog", "side").ok().out();
        assertThat(before.lines()).hasSize(3);

        f.vm("branch", "-m", "side", "other").ok();
        String after = f.vm("reflog", "other").ok().out();
        assertThat(after.lines()).hasSize(4);
        assertThat(after.lines().findFirst().orElseThrow()).contains("other@{0}: branch: renamed side to other");
        // the older entries are side's, in the same order, renamed
        assertThat(after.lines().skip(1).map(l -> l.replaceFirst("other@", "side@").replaceFirst("@\\{(\\d+)\\}",
                "@{N}")).toList()).isEqualTo(before.lines().map(l -> l.replaceFirst("@\\{(\\d+)\\}", "@{N}")).toList());
        assertThat(f.vm("reflog", "side").out()).doesNotContain("data");

        f.vm("gc").ok();
        assertThat(stored(image)).as("the snapshot only the renamed branch's reflog names").isTrue();
        f.vm("fsck").ok();
    }

    @Test
    void copyingABranchKeepsTheReflogUnderBothNamesAndLeavesInstancesWhereTheyAre() {
        var image = snapshotOnlyTheReflogKeeps("main", c, 9);
        String main = f.vm("reflog", "main").ok().out();
        assertThat(f.vm("branch", "-c", "main", "keep").ok().out()).isEqualTo("copied branch main to keep\n");
        assertThat(f.vm("reflog", "keep").ok().out().lines().skip(1).count()).isEqualTo(main.lines().count());
        assertThat(f.vm("reflog", "keep").ok().out()).contains("keep@{0}: branch: copied main to keep");
        assertThat(f.vm("instance", "list").ok().out()).contains(" main ");
        assertThat(f.vm("reflog", "main").ok().out()).isEqualTo(main);

        f.vm("instance", "add", "vm2", "keep").ok();
        f.vm("instance", "remove", "vm1").ok();
        f.vm("branch", "-D", "main").ok();
        f.vm("gc").ok();
        assertThat(stored(image)).as("the copy's reflog still names it").isTrue();

        Dom0Fixture.Result exists = f.vm("branch", "-c", "keep", "keep");
        assertThat(exists.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(exists.err()).isEqualTo("vmtree: branch 'keep' already exists\n");
        Dom0Fixture.Result clash = f.vm("branch", "-m", "keep", "keep/sub");
        assertThat(clash.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(clash.err()).startsWith("vmtree: cannot name a branch 'keep/sub': it clashes").hasLineCount(1);
        assertThat(f.vm("--json", "branch").ok().out()).contains("\"name\":\"keep\"").doesNotContain("keep/sub");
        f.vm("fsck").ok();
    }

    @Test
    void tagsAreGoldenImagesThatNeverMoveAndNeedForceToDelete() {
        f.vm("tag", "v1", "main~1").ok();
        Dom0Fixture.Result again = f.vm("tag", "v1", "main");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("tag 'v1' already exists");
        Dom0Fixture.Result noForce = f.vm("tag", "-d", "v1");
        assertThat(noForce.exit()).isEqualTo(1);
        assertThat(noForce.err()).isEqualTo("vmtree: tag 'v1' is a golden image; delete it with --force\n");
        assertThat(f.vm("tag").ok().out()).contains("v1").contains(b.shortHex());
        assertThat(f.vm("--json", "tag", "-l").ok().out().trim())
                .isEqualTo("[{\"name\":\"v1\",\"target\":\"" + b.hex() + "\"}]");
        f.vm("tag", "-d", "--force", "v1").ok();
        assertThat(f.vm("tag").ok().out()).isEmpty();
    }

    @Test
    void reflogListsEveryMoveNewestFirst() {
        Dom0Fixture.Result r = f.vm("reflog").ok();
        assertThat(r.out()).isEqualTo(c.shortHex() + " main@{0}: commit: third\n"
                + b.shortHex() + " main@{1}: commit: second\n"
                + a.shortHex() + " main@{2}: commit: first\n");
        assertThat(f.vm("--json", "reflog", "main").ok().out()).startsWith("[{\"old\":\"" + b.hex() + "\",\"new\":\""
                + c.hex() + "\",\"time\":");
        assertThat(f.vm("reflog", "nosuch").exit()).isEqualTo(1);
    }
}
