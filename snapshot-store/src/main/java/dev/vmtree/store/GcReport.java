package dev.vmtree.store;

/** What gc did: chunks kept and dropped, pack bytes before and after, reflog entries expired. */
public record GcReport(long chunksKept, long chunksDropped, long bytesBefore, long bytesAfter, int reflogEntriesExpired,
                       int packsRemoved) {}
