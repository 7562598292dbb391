package dev.vmtree.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The sizes of the regular files under a directory, taken before and after a transfer to tell what
 * it added on the receiving side (bench remote): a new file counts whole, a grown one by its growth.
 */
record FileSizes(Map<Path, Long> sizes) {

    /** What appeared, by kind: chunk packs and their indexes, Git objects of meta.git, everything else. */
    record Added(long chunks, long git, long other) {
        long total() {
            return chunks + git + other;
        }
    }

    /** The files under {@code root} (paths relative to it); none when it does not exist. */
    static FileSizes of(Path root) throws IOException {
        Map<Path, Long> sizes = new HashMap<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                    try {
                        sizes.put(root.relativize(p), Files.size(p));
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // a temporary file removed meanwhile
                    }
                }
            }
        }
        return new FileSizes(sizes);
    }

    /** What this listing has that {@code before} had not. */
    Added since(FileSizes before) {
        long chunks = 0;
        long git = 0;
        long other = 0;
        for (var e : sizes.entrySet()) {
            long grown = e.getValue() - before.sizes.getOrDefault(e.getKey(), 0L);
            if (grown <= 0) {
                continue;
            }
            String p = e.getKey().toString().replace('\\', '/');
            if (p.startsWith("chunks/") || p.contains("/chunks/")) {
                chunks += grown;
            } else if (p.startsWith("meta.git/objects/") || p.contains("/meta.git/objects/")) {
                git += grown;
            } else {
                other += grown;
            }
        }
        return new Added(chunks, git, other);
    }
}
