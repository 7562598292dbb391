package dev.vmtree.store;

import java.util.List;

/**
 * What fsck found: each damaged or missing object with the reason and the snapshots, refs and
 * roots that depend on it, plus counts of what was verified. {@link #ok()} when nothing is damaged.
 * {@code promised}: chunks absent here that the repository's promisor (a lazy clone's remote)
 * promises; they are not damage, and not verified (fsck asks no remote).
 */
public record FsckReport(List<Problem> problems, long chunksVerified, long gitObjectsVerified, long snapshots,
                         long promised) {

    public FsckReport(List<Problem> problems, long chunksVerified, long gitObjectsVerified, long snapshots) {
        this(problems, chunksVerified, gitObjectsVerified, snapshots, 0);
    }

    /** One damaged object ("chunk 1a2b…", "git object 3c4d…", a file) and who needs it. */
    public record Problem(String object, String reason, List<String> dependents) {
        public Problem {
            dependents = List.copyOf(dependents);
        }

        @Override
        public String toString() {
            return object + ": " + reason + (dependents.isEmpty() ? "" : "; needed by " + String.join(", ", dependents));
        }
    }

    public FsckReport {
        problems = List.copyOf(problems);
    }

    public boolean ok() {
        return problems.isEmpty();
    }
}
