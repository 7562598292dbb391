package dev.vmtree.store;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A gc/fsck root that an upper layer registers (an instance's working state, a remote promise):
 * a name and what it keeps alive. The store does not interpret the name.
 */
public record ExtraRoot(String name, List<PageTreeRoot> trees, List<ChunkId> chunks, List<SnapshotId> snapshots) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:/@+-]{1,200}");

    public ExtraRoot {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad root name (letters, digits, . _ : / @ + -): " + name);
        }
        trees = List.copyOf(trees);
        chunks = List.copyOf(chunks);
        snapshots = List.copyOf(snapshots);
    }
}
