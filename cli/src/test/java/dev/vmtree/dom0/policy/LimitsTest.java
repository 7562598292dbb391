package dev.vmtree.dom0.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.ToolstackException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Limits: a start beyond dom0.maxInstances or dom0.maxMemory is refused with one line naming the key. */
class LimitsTest {
    static final long M = 1L << 20;

    static Limits.Instance vm(String name, long bytes) {
        return new Limits.Instance(name, bytes);
    }

    @Test
    void aStartBeyondMaxInstancesIsRefusedNamingTheLimitTheUseAndTheKey() {
        Limits limits = new Limits(2, Limits.UNLIMITED_MEMORY);
        assertThatThrownBy(() -> limits.check(List.of(vm("vm1", M), vm("vm2", M)), vm("vm3", M)))
                .isInstanceOf(Limits.Refusal.class)
                .hasMessage("cannot start vm3: 2 instances run (vm1, vm2) and dom0.maxInstances is 2 (stop one, or raise"
                        + " it with `vmtree config dom0.maxInstances N`)")
                .satisfies(e -> {
                    assertThat(((Limits.Refusal) e).limit()).isEqualTo("dom0.maxInstances");
                    assertThat(((ToolstackException) e).kind()).isEqualTo(ToolstackException.Kind.CANNOT_RUN);
                });
        limits.check(List.of(vm("vm1", M)), vm("vm3", M));
    }

    @Test
    void aStartBeyondMaxMemoryIsRefusedWithTheRamInUse() {
        Limits limits = new Limits(Limits.UNLIMITED_INSTANCES, 4096 * M);
        assertThatThrownBy(() -> limits.check(List.of(vm("a", 1024 * M), vm("b", 2048 * M)), vm("c", 2048 * M)))
                .isInstanceOf(Limits.Refusal.class)
                .hasMessage("cannot start c with 2G of RAM: running instances have 3G (a, b) and dom0.maxMemory is 4G"
                        + " (stop one, or raise it with `vmtree config dom0.maxMemory SIZE`)");
        assertThatThrownBy(() -> limits.check(List.of(), vm("big", 8192 * M)))
                .hasMessage("cannot start big with 8G of RAM: nothing runs and dom0.maxMemory is 4G (stop one, or raise"
                        + " it with `vmtree config dom0.maxMemory SIZE`)");
        limits.check(List.of(vm("a", 1024 * M), vm("b", 2048 * M)), vm("c", 1024 * M));   // exactly at the limit
    }

    @Test
    void theCandidateIsNotCountedTwiceAndNoLimitsPassEverything() {
        new Limits(1, 4 * M).check(List.of(vm("vm1", 4 * M)), vm("vm1", 4 * M));
        Limits.NONE.check(List.of(vm("a", Long.MAX_VALUE), vm("b", Long.MAX_VALUE)), vm("c", Long.MAX_VALUE));
        assertThatThrownBy(() -> new Limits(3, Long.MAX_VALUE - 1).check(
                List.of(vm("a", Long.MAX_VALUE / 2), vm("b", Long.MAX_VALUE / 2)), vm("c", 10)))
                .isInstanceOf(Limits.Refusal.class);   // the sum saturates instead of wrapping to a small number
    }

    @Test
    void oneRunningInstanceIsSaidInTheSingular() {
        assertThatThrownBy(() -> new Limits(1, Limits.UNLIMITED_MEMORY).check(List.of(vm("vm1", M)), vm("vm2", M)))
                .hasMessageStartingWith("cannot start vm2: 1 instance runs (vm1) and dom0.maxInstances is 1 ");
    }
}
