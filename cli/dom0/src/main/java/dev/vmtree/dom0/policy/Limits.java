package dev.vmtree.dom0.policy;

import dev.vmtree.dom0.Sizes;
import dev.vmtree.dom0.ToolstackException;
import java.util.List;

/**
 * How many instances may run at once in a repository, and how much guest RAM they may have together
 * ({@code dom0.maxInstances}, {@code dom0.maxMemory}; docs/cli.md "Limits"). A start beyond either is
 * refused before anything runs with one line naming the limit, the use now and the key that raises it.
 * Guest RAM counts what each machine is defined with, not what it has touched: a limit that holds at
 * every start keeps holding however far the guests grow.
 *
 * <p>Immutable; {@link #check} is a pure function of its arguments. Which instances run is the
 * caller's to say (Toolstack.runningInstances reads it from the instance locks).
 */
public record Limits(int maxInstances, long maxMemoryBytes) {
    /** {@link #maxInstances} when {@code dom0.maxInstances} is unset. */
    public static final int UNLIMITED_INSTANCES = Integer.MAX_VALUE;
    /** {@link #maxMemoryBytes} when {@code dom0.maxMemory} is unset. */
    public static final long UNLIMITED_MEMORY = Long.MAX_VALUE;
    /** No limit at all (the default). */
    public static final Limits NONE = new Limits(UNLIMITED_INSTANCES, UNLIMITED_MEMORY);

    public static final String MAX_INSTANCES = "dom0.maxInstances";
    public static final String MAX_MEMORY = "dom0.maxMemory";

    public Limits {
        if (maxInstances < 1 || maxMemoryBytes < 1) {
            throw new IllegalArgumentException("limits must be positive: " + maxInstances + ", " + maxMemoryBytes);
        }
    }

    /** An instance that runs, or is about to: its name and its guest RAM in bytes. */
    public record Instance(String name, long memoryBytes) {}

    /**
     * A start these limits forbid: CANNOT_RUN (exit status 4) like every "does not fit" in vmtree
     * (HostMemory's too), but its own type so a front end can tell a policy refusal (outcome
     * "refused" in the audit log) from a failure.
     */
    public static final class Refusal extends ToolstackException {
        private final String limit;

        Refusal(String limit, String message) {
            super(Kind.CANNOT_RUN, message);
            this.limit = limit;
        }

        /** The configuration key whose limit refused the start. */
        public String limit() {
            return limit;
        }
    }

    /**
     * Passes when {@code candidate} may start beside {@code running} (an entry with the candidate's
     * name is not counted twice), else throws {@link Refusal} naming the first limit it would pass:
     * the instance count, then the memory.
     */
    public void check(List<Instance> running, Instance candidate) {
        List<Instance> others = running.stream().filter(i -> !i.name().equals(candidate.name())).toList();
        if (others.size() >= maxInstances) {
            throw new Refusal(MAX_INSTANCES, "cannot start " + candidate.name() + ": " + others.size()
                    + (others.size() == 1 ? " instance runs" : " instances run") + " (" + names(others) + ") and "
                    + MAX_INSTANCES + " is " + maxInstances + " (stop one, or raise it with `vmtree config "
                    + MAX_INSTANCES + " N`)");
        }
        long used = 0;
        for (Instance i : others) {
            used = saturatedAdd(used, i.memoryBytes());
        }
        if (saturatedAdd(used, candidate.memoryBytes()) > maxMemoryBytes) {
            throw new Refusal(MAX_MEMORY, "cannot start " + candidate.name() + " with " + Sizes.format(candidate.memoryBytes())
                    + " of RAM: " + (others.isEmpty() ? "nothing runs" : "running instances have " + Sizes.format(used)
                    + " (" + names(others) + ")") + " and " + MAX_MEMORY + " is " + Sizes.format(maxMemoryBytes)
                    + " (stop one, or raise it with `vmtree config " + MAX_MEMORY + " SIZE`)");
        }
    }

    private static String names(List<Instance> instances) {
        int shown = Math.min(instances.size(), 5);
        String s = String.join(", ", instances.subList(0, shown).stream().map(Instance::name).toList());
        return shown < instances.size() ? s + ", ..." : s;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
