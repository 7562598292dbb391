package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PageTree#digest} computes, without a store, exactly the root a stored tree gets. */
class PageTreeDigestTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void digestEqualsTheStoredRootForManyShapes() {
        Random rnd = new Random(7);
        try (Repository repo = Repository.init(dir); WriteTransaction tx = repo.beginWrite()) {
            for (long pages : new long[] {1, 2, 63, 64, 65, 4095, 4096, 4097, 70_000}) {
                byte[][] content = new byte[(int) pages][];
                for (int i = 0; i < pages; i++) {
                    int kind = rnd.nextInt(4);
                    if (kind == 1) {
                        content[i] = new byte[PAGE];                   // explicit zero page
                    } else if (kind >= 2) {
                        content[i] = new byte[PAGE];
                        content[i][rnd.nextInt(PAGE)] = (byte) (1 + rnd.nextInt(255));
                        content[i][0] = (byte) (i % 3);
                    }
                }
                PageTreeRoot stored = tx.buildTree(pages * PAGE, PAGE, i -> content[(int) i]);
                assertThat(PageTree.digest(pages * PAGE, PAGE, i -> content[(int) i]))
                        .as("%d pages", pages).isEqualTo(stored);
            }
        }
    }

    @Test
    void anAllZeroImageDigestsToTheEmptyRoot() {
        assertThat(PageTree.digest(1L << 30, PAGE, i -> null)).isEqualTo(PageTreeRoot.empty(1L << 30, PAGE));
    }

    @Test
    void aPageOfTheWrongSizeIsRejected() {
        assertThatThrownBy(() -> PageTree.digest(2 * PAGE, PAGE, i -> new byte[10]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4096");
    }
}
