package dev.vmtree.store;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a snapshot holds: small human-readable files (machine config, device state; paths may
 * contain '/') and named images, each a {@link PageTreeRoot}. The images are written to the
 * commit's tree as the text file {@value #IMAGES_FILE}.
 */
public record SnapshotContent(Map<String, byte[]> files, Map<String, PageTreeRoot> images) {
    public static final String IMAGES_FILE = "images";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._-]{1,100}(/[A-Za-z0-9._-]{1,100}){0,8}");

    public SnapshotContent {
        files = new TreeMap<>(files);
        images = new TreeMap<>(images);
        for (String p : files.keySet()) {
            if (!PATH.matcher(p).matches() || p.equals(IMAGES_FILE) || p.contains("..") || p.startsWith(".")) {
                throw new IllegalArgumentException("bad snapshot file name: " + p);
            }
        }
        for (String n : images.keySet()) {
            checkImageName(n);
        }
    }

    public static void checkImageName(String n) {
        if (!NAME.matcher(n).matches()) {
            throw new IllegalArgumentException("bad image name (letters, digits, '.', '_', '-'): " + n);
        }
    }

    public static SnapshotContent ofImages(Map<String, PageTreeRoot> images) {
        return new SnapshotContent(Map.of(), images);
    }

    /** The {@value #IMAGES_FILE} file: a header line, then "name size pageSize root" per image. */
    public String imagesText() {
        StringBuilder sb = new StringBuilder("# vmtree images 1: name size page-size page-tree-root\n");
        images.forEach((n, r) -> sb.append(n).append(' ').append(r.size()).append(' ').append(r.pageSize())
                .append(' ').append(r.root().hex()).append('\n'));
        return sb.toString();
    }

    /** Parses an {@value #IMAGES_FILE} file; later fields on a line and '#' lines are ignored. */
    public static Map<String, PageTreeRoot> parseImages(String text) {
        Map<String, PageTreeRoot> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split(" +");
            if (f.length < 4) {
                throw new IllegalArgumentException("malformed images line: " + line);
            }
            checkImageName(f[0]);
            out.put(f[0], new PageTreeRoot(ChunkId.parse(f[3]), Long.parseLong(f[1]), Integer.parseInt(f[2])));
        }
        return out;
    }
}
