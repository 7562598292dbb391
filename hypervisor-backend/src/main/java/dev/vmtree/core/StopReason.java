package dev.vmtree.core;

/** Why {@link Machine#run(long)} returned. */
public enum StopReason {
    /** The instruction budget of this run is used up; the machine can run on. */
    BUDGET_EXHAUSTED,
    /** The guest shut down cleanly (SBI SRST shutdown with no reason, HTIF tohost = 1). */
    SHUTDOWN,
    /** The guest asked for a reboot (SBI SRST cold or warm reboot with no failure reason). */
    REBOOT,
    /** The guest reported failure (SRST with system-failure reason, HTIF tohost != 1). */
    GUEST_FAILURE,
    /** Every hart waits for an interrupt that nothing will raise: the machine can never run again by itself. */
    IDLE,
    /**
     * A hart takes the same exception at its own trap vector again and again (the vector is unset
     * or faults itself) and can never make progress; {@link Machine#trapLoop} says which and where.
     * Like IDLE, not a state: a later run goes on, and stops again at the next such trap.
     */
    TRAP_LOOP,
    /** A hart is about to execute an instruction at a debugger's breakpoint (it has not run). */
    BREAKPOINT
}
