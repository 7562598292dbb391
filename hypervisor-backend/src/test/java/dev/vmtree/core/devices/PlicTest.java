package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlicTest {
    private final boolean[][] ext = new boolean[2][2]; // [hart][supervisor]
    private final List<String> changes = new ArrayList<>();
    private final Plic plic = new Plic(64, 2, (hart, s, level) -> {
        ext[hart][s ? 1 : 0] = level;
        changes.add(hart + (s ? "S" : "M") + level);
    });

    private static long threshold(int ctx) {
        return 0x200000 + 0x1000L * ctx;
    }

    private static long enable(int ctx, int word) {
        return 0x2000 + 0x80L * ctx + 4L * word;
    }

    private void w(long off, long v) {
        plic.write(off, 4, v);
    }

    private long r(long off) {
        return plic.read(off, 4);
    }

    @Test
    void claimsTheHighestPrioritySourceAboveTheThreshold() {
        w(4 * 3, 2);
        w(4 * 40, 5);
        w(enable(1, 0), 1L << 3);
        w(enable(1, 1), 1L << (40 - 32));
        plic.line(3).set(true);
        plic.line(40).set(true);
        assertThat(r(0x1000)).isEqualTo(1L << 3);
        assertThat(r(0x1004)).isEqualTo(1L << 8);
        assertThat(ext[0][1]).isTrue();
        assertThat(ext[0][0]).isFalse();
        assertThat(r(threshold(1) + 4)).isEqualTo(40);
        assertThat(r(0x1004)).isZero();
        assertThat(r(threshold(1) + 4)).isEqualTo(3);
        assertThat(ext[0][1]).isFalse();
        assertThat(r(threshold(1) + 4)).isZero();
        // both lines still high: completing re-pends them
        w(threshold(1) + 4, 40);
        assertThat(ext[0][1]).isTrue();
        w(threshold(1), 5);
        assertThat(ext[0][1]).isFalse(); // priority 5 is not above threshold 5
        w(threshold(1), 4);
        assertThat(ext[0][1]).isTrue();
    }

    @Test
    void levelsFollowTheWireUntilClaimedAndCompletionNeedsTheEnable() {
        w(4 * 7, 1);
        w(enable(2, 0), 1 << 7); // hart 1, M mode
        plic.line(7).set(true);
        assertThat(ext[1][0]).isTrue();
        plic.line(7).set(false);
        assertThat(ext[1][0]).isFalse();
        plic.line(7).set(true);
        assertThat(r(threshold(2) + 4)).isEqualTo(7);
        plic.line(7).set(false);
        plic.line(7).set(true); // while claimed: stays out
        assertThat(r(0x1000)).isZero();
        w(threshold(3) + 4, 7); // context 3 has 7 disabled: ignored
        assertThat(r(0x1000)).isZero();
        w(threshold(2) + 4, 7);
        assertThat(r(0x1000)).isEqualTo(1 << 7);
        assertThat(changes).containsExactly("1Mtrue", "1Mfalse", "1Mtrue", "1Mfalse", "1Mtrue");
    }

    @Test
    void registersAreWarlAndHostileAccessesAreHarmless() {
        w(0, 7); // source 0 has no priority
        assertThat(r(0)).isZero();
        w(4, 0xFFFF);
        assertThat(r(4)).isEqualTo(7);
        w(enable(0, 0), 0xFFFF_FFFFL);
        assertThat(r(enable(0, 0))).isEqualTo(0xFFFF_FFFEL);
        w(enable(0, 1), 0xFFFF_FFFFL);
        assertThat(r(enable(0, 1))).isEqualTo(0xFFFF_FFFFL);
        w(enable(0, 2), 0xFFFF_FFFFL); // past source 63
        assertThat(r(enable(0, 2))).isZero();
        w(0x1000, -1); // pending is read-only
        assertThat(r(0x1000)).isZero();
        w(threshold(0), 0x0F);
        assertThat(r(threshold(0))).isEqualTo(7);
        for (long off : new long[] {-4, threshold(4), Plic.SIZE - 4, Long.MAX_VALUE - 3}) {
            w(off, -1);
            assertThat(r(off)).isZero();
        }
        w(threshold(0) + 4, 12345); // completing a bogus id
        assertThat(plic.read(4, 1)).isZero(); // only 32-bit accesses
    }

    @Test
    void saveRestoreContinuesLikeAnUninterruptedPlic() {
        w(4 * 5, 3);
        w(4 * 9, 6);
        w(enable(1, 0), (1 << 5) | (1 << 9));
        plic.line(5).set(true);
        plic.line(9).set(true);
        assertThat(r(threshold(1) + 4)).isEqualTo(9);
        PlicState saved = plic.save();
        boolean[][] ext2 = new boolean[2][2];
        Plic copy = new Plic(64, 2, (hart, s, level) -> ext2[hart][s ? 1 : 0] = level);
        copy.restore(saved);
        assertThat(copy.save()).isEqualTo(saved);
        assertThat(ext2).isDeepEqualTo(ext);
        for (Plic p : new Plic[] {plic, copy}) {
            p.write(threshold(1) + 4, 4, 9);
            p.line(5).set(false);
        }
        assertThat(copy.read(threshold(1) + 4, 4)).isEqualTo(r(threshold(1) + 4)).isEqualTo(9);
        assertThat(copy.save()).isEqualTo(plic.save());
        assertThat(ext2).isDeepEqualTo(ext);
    }
}
