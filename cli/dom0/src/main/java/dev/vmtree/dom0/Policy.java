package dev.vmtree.dom0;

import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.dom0.policy.Limits;

/**
 * Dom0's policy over running instances, as the toolstack applies it: the limits of
 * {@link Settings#limits} checked before a start ({@link #admit}), and every lifecycle operation
 * recorded in the repository's {@link AuditLog} ({@link #audited}). The commands and the daemon both
 * go through here. An audit log that cannot be written is a warning, never a failed or undone
 * operation: what was done to the user's machines stands (docs/cli.md "Limits and the audit log").
 *
 * <p>Threading: as its {@link Toolstack}, one thread at a time; the log itself is safe across processes.
 */
public final class Policy {
    private final Toolstack ts;

    Policy(Toolstack ts) {
        this.ts = ts;
    }

    /** The repository's audit log ({@code .vmtree/audit.log}). */
    public AuditLog log() {
        return new AuditLog(ts.repository().storeDirectory().resolve(AuditLog.FILE));
    }

    /**
     * Records one operation in the audit log. A log that cannot be written never fails or undoes the
     * operation (what it did to the user's machines stands): it is one warning through
     * {@link Toolstack#setNotices} instead.
     */
    public void audit(String op, String instance, AuditLog.Outcome outcome, String detail) {
        try {
            log().append(AuditLog.Entry.now(op, instance, outcome, detail));
        } catch (ToolstackException e) {
            ts.notice("warning: " + e.getMessage() + " (" + op + (instance == null ? "" : " of " + instance)
                    + " not recorded; what it did stands)");
        }
    }

    /**
     * Runs {@code action}, operation {@code op} on instance {@code instance} (null: the current one),
     * and records how it ended: "ok" with {@code detail} of its result, "refused" when it threw a
     * {@link Limits.Refusal} or a DIRTY or LOCKED refusal, else "failed" with the exception's message
     * (then rethrown).
     */
    public <T> T audited(String op, String instance, java.util.function.Supplier<T> action,
                         java.util.function.Function<T, String> detail) {
        String name = instance != null ? instance : currentNameOrNull();
        T result;
        try {
            result = action.get();
        } catch (RuntimeException e) {
            audit(op, name, outcomeOf(e), e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            throw e;
        }
        audit(op, name, AuditLog.Outcome.OK, detail.apply(result));
        return result;
    }

    /** "refused" for a policy refusal (a limit, uncommitted state, a held instance), else "failed". */
    public static AuditLog.Outcome outcomeOf(RuntimeException e) {
        return e instanceof Limits.Refusal || (e instanceof ToolstackException t
                && (t.kind() == ToolstackException.Kind.DIRTY || t.kind() == ToolstackException.Kind.LOCKED))
                ? AuditLog.Outcome.REFUSED : AuditLog.Outcome.FAILED;
    }

    private String currentNameOrNull() {
        try {
            return ts.instances().currentName().orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The instances a process runs now (their lock is held for a run, {@link InstanceLock.Holder.Running#runsGuest}),
     * with the guest RAM each is defined with, sorted by name. One whose record or state cannot be
     * read counts with 0 bytes: it still counts as an instance.
     */
    public java.util.List<Limits.Instance> runningInstances() {
        java.util.List<Limits.Instance> out = new java.util.ArrayList<>();
        Instances.Listing all = ts.instances().scan();
        for (InstanceRecord r : all.sound()) {
            if (ts.instances().holder(r.name()) instanceof InstanceLock.Holder.Running h && h.runsGuest()) {
                long bytes;
                try {
                    bytes = ts.machines().memoryBytes(r);
                } catch (RuntimeException e) {
                    bytes = 0;
                }
                out.add(new Limits.Instance(r.name(), bytes));
            }
        }
        for (Instances.Damaged d : all.damaged()) {
            if (ts.instances().holder(d.name()) instanceof InstanceLock.Holder.Running h && h.runsGuest()) {
                out.add(new Limits.Instance(d.name(), 0));
            }
        }
        out.sort(java.util.Comparator.comparing(Limits.Instance::name));
        return out;
    }

    /**
     * Refuses ({@link Limits.Refusal}, CANNOT_RUN) to start instance {@code r} when the instances
     * running now and it would pass {@link Settings#limits}; a refusal is recorded in the audit log
     * (op "start", outcome "refused"). Call it holding {@code r}'s lock for the run (activity "run"):
     * each of two starts at once then sees the other, so both cannot pass a limit (at worst both are
     * refused).
     */
    public void admit(InstanceRecord r) {
        try {
            check(r.name(), ts.machines().memoryBytes(r));
        } catch (Limits.Refusal e) {
            audit(AuditLog.START, r.name(), AuditLog.Outcome.REFUSED, e.getMessage());
            throw e;
        }
    }

    /**
     * {@link #admit}'s check alone, recording nothing, for a front end that records the refusal
     * itself (the Dom0 daemon): instance {@code name} with {@code memoryBytes} of guest RAM against
     * {@link #runningInstances} (every process's runs, the daemon's included) and {@link Settings#limits}.
     */
    public void check(String name, long memoryBytes) {
        check(name, memoryBytes, java.util.List.of());
    }

    /**
     * {@link #check(String, long)} counting {@code alsoRunning} too (what a daemon knows it runs; an
     * instance both there and in {@link #runningInstances} counts once, with the larger RAM).
     */
    public void check(String name, long memoryBytes, java.util.List<Limits.Instance> alsoRunning) {
        java.util.Map<String, Long> all = new java.util.TreeMap<>();
        for (Limits.Instance i : runningInstances()) {
            all.merge(i.name(), i.memoryBytes(), Math::max);
        }
        for (Limits.Instance i : alsoRunning) {
            all.merge(i.name(), i.memoryBytes(), Math::max);
        }
        ts.settings().limits().check(all.entrySet().stream().map(e -> new Limits.Instance(e.getKey(), e.getValue()))
                .toList(), new Limits.Instance(name, memoryBytes));
    }
}
