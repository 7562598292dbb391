package dev.vmtree.core;

/**
 * The outcome of one {@link Machine#run(long)}.
 *
 * @param reason why the run ended
 * @param detail HTIF failing test number (tohost &gt;&gt; 1) or SRST reason code; 0 otherwise
 * @param executed global instruction count consumed by this run (idle time skipped by WFI included)
 */
public record RunResult(StopReason reason, long detail, long executed) {}
