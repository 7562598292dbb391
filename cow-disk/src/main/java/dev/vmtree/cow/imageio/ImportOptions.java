package dev.vmtree.cow.imageio;

import java.nio.file.Path;
import java.util.Map;

/**
 * How an import resolves qcow2 backing files. A backing file name stored in an image is trusted only
 * as a relative path inside the image's own directory (no {@code ..}, not absolute, not escaping it
 * through a symbolic link), unless the caller maps that exact name to a file in {@code backingFiles}.
 *
 * @param backingFiles explicit backing files: stored name to the file to use instead
 * @param maxChainDepth how many backing files deep a chain may go
 */
public record ImportOptions(Map<String, Path> backingFiles, int maxChainDepth) {

    /** Backing chains deeper than this are rejected unless the caller asks for more. */
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 16;

    public static final ImportOptions DEFAULTS = new ImportOptions(Map.of(), DEFAULT_MAX_CHAIN_DEPTH);

    public ImportOptions {
        backingFiles = Map.copyOf(backingFiles);
        if (maxChainDepth < 0) {
            throw new IllegalArgumentException("maxChainDepth must be >= 0");
        }
    }

    public ImportOptions withBackingFile(String storedName, Path file) {
        var m = new java.util.HashMap<>(backingFiles);
        m.put(storedName, file);
        return new ImportOptions(m, maxChainDepth);
    }
}
