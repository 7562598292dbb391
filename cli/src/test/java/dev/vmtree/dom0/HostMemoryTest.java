package dev.vmtree.dom0;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostMemoryTest {
    private static final long GIB = 1L << 30;

    @Test
    void ramFitsWhenTheHeapHoldsItAndTheReserve() {
        assertThat(HostMemory.fits(4 * GIB, 4 * GIB + HostMemory.RESERVE)).isTrue();
        assertThat(HostMemory.fits(4 * GIB, 4 * GIB + HostMemory.RESERVE - 1)).isFalse();
        assertThat(HostMemory.fits(64 * GIB, Long.MAX_VALUE)).as("no heap limit").isTrue();
    }

    @Test
    void theRefusalSaysHowToRaiseTheHeapOrThatTheHostIsTooSmall() {
        ToolstackException raise = HostMemory.refusal(4 * GIB, 2 * GIB, 24 * GIB);
        assertThat(raise.kind()).isEqualTo(ToolstackException.Kind.CANNOT_RUN);
        assertThat(raise.getMessage()).isEqualTo("a machine with 4.0 GiB of RAM does not fit in this JVM's heap"
                + " (2.0 GiB, of which vmtree keeps 512.0 MiB for itself); run vmtree with VMTREE_JAVA_OPTS=-Xmx6g,"
                + " or give the machine less memory (--memory)");
        assertThat(HostMemory.refusal(64 * GIB, 6 * GIB, 24 * GIB).getMessage())
                .endsWith("; this host has only 24.0 GiB of memory: give the machine less (--memory)");
        assertThat(HostMemory.refusal(8 * GIB, 6 * GIB, -1).getMessage()).contains("-Xmx11g");
    }
}
