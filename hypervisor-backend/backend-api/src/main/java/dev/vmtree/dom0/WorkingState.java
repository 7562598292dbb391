package dev.vmtree.dom0;

import dev.vmtree.store.ChunkId;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.SnapshotContent;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A suspended instance's saved working state, everything a later {@code run} resumes from: its
 * StateId, the PageTree roots of its images (RAM, disks) and its small state files (harts,
 * devices, clock, ReplayLog) stored as chunks, plus the instructions retired since the base.
 * Immutable; the chunks it names are kept alive by the instance's gc root.
 */
public record WorkingState(StateId stateId, Map<String, PageTreeRoot> images, Map<String, ChunkId> files,
                           long instructionsSinceBase) {
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9._-]{1,100}(/[A-Za-z0-9._-]{1,100}){0,8}");

    public WorkingState {
        images = new TreeMap<>(images);
        files = new TreeMap<>(files);
        images.keySet().forEach(SnapshotContent::checkImageName);
        for (String f : files.keySet()) {
            if (!FILE.matcher(f).matches() || f.contains("..") || f.startsWith(".")) {
                throw new IllegalArgumentException("bad state file name: " + f);
            }
        }
        if (instructionsSinceBase < 0) {
            throw new IllegalArgumentException("negative instruction count: " + instructionsSinceBase);
        }
        images = java.util.Collections.unmodifiableMap(images);
        files = java.util.Collections.unmodifiableMap(files);
    }
}
