package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The VM generation ID: reads of any width, the interrupt raised by a change and lowered by the guest's read. */
class VmGenerationIdTest {
    private boolean line;
    private final VmGenerationId genId = new VmGenerationId(high -> line = high);

    private static byte[] id(int seed) {
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    @Test
    void aNewIdRaisesTheLineUntilTheGuestReadsIt() {
        genId.change(id(0x10));
        assertThat(line).isTrue();
        assertThat(genId.read(0, 8)).isEqualTo(0x1716151413121110L);
        assertThat(line).isFalse();
        assertThat(genId.read(8, 8)).isEqualTo(0x1F1E1D1C1B1A1918L);
        assertThat(genId.read(15, 1)).isEqualTo(0x1F);
        assertThat(genId.read(16, 4)).as("past the ID").isZero();
    }

    @Test
    void theSameIdAgainChangesNothing() {
        genId.change(id(1));
        genId.read(0, 8);
        genId.change(id(1));
        assertThat(line).isFalse();
    }

    @Test
    void aPendingChangeSurvivesSaveAndRestore() {
        genId.change(id(5));
        VmGenIdState s = genId.save();
        boolean[] other = new boolean[1];
        VmGenerationId copy = new VmGenerationId(high -> other[0] = high);
        copy.restore(s);
        assertThat(other[0]).isTrue();
        assertThat(copy.id()).isEqualTo(id(5));
    }
}
