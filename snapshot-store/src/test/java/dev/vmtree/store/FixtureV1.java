package dev.vmtree.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The contents of the committed format-1 fixture repository (src/test/resources/fixtures/v1),
 * and the program that made it: {@code java -cp <test classpath> dev.vmtree.store.FixtureV1 DIR}.
 */
public final class FixtureV1 {
    private FixtureV1() {}

    static final int PAGES = 200; // depth 2 with fanout 64
    static final String CONFIG = "fixture of repository format 1\n";

    static byte[] page(long i) {
        if (i % 3 == 0) {
            return null;
        }
        byte[] p = new byte[4096];
        java.util.Arrays.fill(p, (byte) (i * 7 + 1));
        p[0] = (byte) (i >> 8);
        return p;
    }

    public static void main(String[] args) {
        try (Repository repo = Repository.init(Path.of(args[0])); WriteTransaction tx = repo.beginWrite()) {
            PageTreeRoot root = tx.buildTree(PAGES * 4096L, 4096, FixtureV1::page);
            var c = tx.commit("main", new SnapshotContent(Map.of("config.txt", CONFIG.getBytes()), Map.of("ram", root)), "fixture");
            tx.updateRef("refs/tags/golden", null, c.snapshot(), "tag golden");
            tx.registerRoot(new ExtraRoot("instance/fixture", List.of(root), List.of(), List.of(c.snapshot())));
            System.out.println(c.snapshot());
        }
    }
}
