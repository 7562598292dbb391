package dev.vmtree.dom0;

/**
 * What a hypervisor backend can do beyond {@link MachineDriver}'s minimum, so that Dom0 (and a user
 * choosing a backend) can tell before asking. The embedded RV64 core has all of them; a backend over
 * hardware virtualisation (KVM) would typically have none but lazy restore.
 */
public enum Capability {
    /** The virtual clock counts retired instructions exactly: budgets, idle and log positions are exact. */
    EXACT_INSTRUCTION_COUNTS,
    /** Re-running a ReplayLog from a stored state reaches the same StateId ({@link MachineDriver#replay}). */
    DETERMINISTIC_REPLAY,
    /** A debugger may step and continue backwards ({@link MachineDriver#debug} with reverse execution). */
    REVERSE_DEBUGGING,
    /** {@link MachineDriver#restore} faults pages in on first touch: restoring costs O(1) in the machine's size. */
    LAZY_RESTORE
}
