package dev.vmtree.dom0;

import dev.vmtree.store.SnapshotId;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An Instance (ARCHITECTURE.md Contracts): a working state attached to a point of the snapshot
 * tree, like a Git worktree. It names its base snapshot (the parent of its next commit), its
 * branch (null: detached) and, once it has run, its saved {@link WorkingState}. Immutable; stored
 * by {@link Instances} in the format of docs/format.md ("Dom0 records").
 *
 * @param baseState the StateId of the base snapshot when known (null until the core records one)
 * @param working   the saved working state, or null while the instance is exactly its base
 * @param pendingGeneration a fresh VM generation ID to give the machine when it next comes to life
 *     (a new instance of a snapshot, or {@code --new-generation}), else null
 * @param migratedTo where the instance went when {@code vmtree migrate} retired it (docs/migration.md), else
 *     null: a retired instance is a record of a machine that lives elsewhere now, so it neither runs nor
 *     changes here ({@link InstanceSession}) unless {@code run --force} brings it back as a copy
 */
public record InstanceRecord(String name, SnapshotId base, String branch, StateId baseState, WorkingState working,
                             Instant created, GenerationId pendingGeneration, Migration migratedTo) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    public InstanceRecord {
        checkName(name);
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(created, "created");
    }

    /** A record of an instance that was not migrated away. */
    public InstanceRecord(String name, SnapshotId base, String branch, StateId baseState, WorkingState working,
                          Instant created, GenerationId pendingGeneration) {
        this(name, base, branch, baseState, working, created, pendingGeneration, null);
    }

    /**
     * Where a migrated instance went: the remote (its URL as the migration connected to it), the ref
     * there ({@code refs/migrations/NAME}), the migration snapshot that ref was given, and when. After a
     * live migration: the destination repository's path, the instance's ref there
     * ({@code refs/instances/NAME}) and its base.
     */
    public record Migration(String remote, String ref, SnapshotId snapshot, Instant time) {
        public Migration {
            Objects.requireNonNull(remote, "remote");
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(snapshot, "snapshot");
            Objects.requireNonNull(time, "time");
            if (remote.isEmpty() || remote.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("a migration's remote is one printable line");
            }
        }

        /** Says where it went, for messages: "/srv/images (refs/migrations/vm1) at 2026-...". */
        public String describe() {
            return remote + " (" + ref + ") at " + time;
        }
    }

    /** True when {@code vmtree migrate} moved this instance elsewhere. */
    public boolean retired() {
        return migratedTo != null;
    }

    /** A record with no generation ID pending. */
    public InstanceRecord(String name, SnapshotId base, String branch, StateId baseState, WorkingState working,
                          Instant created) {
        this(name, base, branch, baseState, working, created, null);
    }

    /** Throws BAD_INPUT unless {@code name} is a valid instance name. */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.endsWith(".lock") || name.endsWith(".tmp")) {
            throw ToolstackException.badInput("bad instance name '" + name + "' (1-64 letters, digits, '.', '_', '-';"
                    + " not starting with '.' or '-')");
        }
    }

    public boolean detached() {
        return branch == null;
    }

    /** True when the working state differs from the base: committing it would make a new snapshot. */
    public boolean dirty() {
        return working != null && !working.stateId().equals(baseState);
    }

    /** The StateId the instance is at now: its working state's, else its base's (null if unknown). */
    public StateId currentState() {
        return working != null ? working.stateId() : baseState;
    }

    public InstanceRecord withBranch(String newBranch) {
        return new InstanceRecord(name, base, newBranch, baseState, working, created, pendingGeneration, migratedTo);
    }

    public InstanceRecord withBase(SnapshotId newBase, StateId newBaseState) {
        return new InstanceRecord(name, newBase, branch, newBaseState, working, created, pendingGeneration, migratedTo);
    }

    public InstanceRecord withWorking(WorkingState newWorking) {
        return new InstanceRecord(name, base, branch, baseState, newWorking, created, pendingGeneration, migratedTo);
    }

    public InstanceRecord withPendingGeneration(GenerationId generation) {
        return new InstanceRecord(name, base, branch, baseState, working, created, generation, migratedTo);
    }

    public InstanceRecord withMigratedTo(Migration where) {
        return new InstanceRecord(name, base, branch, baseState, working, created, pendingGeneration, where);
    }
}
