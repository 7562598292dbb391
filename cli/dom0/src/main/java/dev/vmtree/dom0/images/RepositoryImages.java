package dev.vmtree.dom0.images;

import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.fs.RealFileLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Images kept in a repository ({@code vmtree image import-deb}), beside the built-in ones:
 * {@code .vmtree/images/NAME} is an image record (format in docs/format.md, "Image record") naming
 * a kernel and an initramfs by SHA-256, stored once each as {@code .vmtree/images/.blobs/HEX}.
 * Blobs are written (fsync, rename) before the record that names them, and the record is replaced
 * atomically, so a crash or a failed import leaves the previous image whole; blobs no record names
 * any more are removed after the record moved. A reader verifies a blob's hash before it boots it.
 * The caller holds the repository's writer lock around {@link #put}. Thread-safe for readers.
 */
public final class RepositoryImages {
    public static final String DIR = "images";
    static final String BLOBS = ".blobs";
    static final String MAGIC = "vmtree-image";
    static final int VERSION = 1;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_RECORD = 64 << 10;

    /** A stored file: its SHA-256 (hex) and size. */
    public record Blob(String sha256, long size) {}

    /**
     * One image: how `create --image` boots it.
     *
     * @param bootargs default kernel command line (create --append replaces it)
     * @param memory   default RAM in bytes (0: the repository's machine.memory)
     */
    public record Stored(String name, String description, String release, Blob kernel, Blob initrd, String bootargs,
                         long memory, List<String> modules, List<String> sources) {
        public Stored {
            modules = List.copyOf(modules);
            sources = List.copyOf(sources);
        }
    }

    private final Path dir;

    /** {@code storeDirectory}: the repository's {@code .vmtree}. */
    public RepositoryImages(Path storeDirectory) {
        this.dir = storeDirectory.resolve(DIR);
    }

    public Path directory() {
        return dir;
    }

    /** Throws BAD_INPUT unless {@code name} is a valid image name. */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.endsWith(".tmp")) {
            throw ToolstackException.badInput("bad image name '" + name + "' (1-64 letters, digits, '.', '_', '-';"
                    + " not starting with '.' or '-')");
        }
    }

    /** What {@link #listing} found: the readable images by name, and one line per damaged record. */
    public record Listing(List<Stored> images, List<String> damaged) {
        public Listing {
            images = List.copyOf(images);
            damaged = List.copyOf(damaged);
        }
    }

    /** The readable images of this repository, by name (a damaged record is left out: see {@link #listing}). */
    public List<Stored> list() {
        return listing().images();
    }

    /** Every record: one damaged image never hides the others (or the built-in ones). */
    public Listing listing() {
        if (!Files.isDirectory(dir)) {
            return new Listing(List.of(), List.of());
        }
        List<Stored> out = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (NAME.matcher(n).matches() && !n.endsWith(".tmp") && Files.isRegularFile(p)) {
                    try {
                        out.add(read(p));
                    } catch (ToolstackException e) {
                        damaged.add(e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        return new Listing(out, damaged);
    }

    public Optional<Stored> find(String name) {
        checkName(name);
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? Optional.of(read(p)) : Optional.empty();
    }

    /** The file holding {@code b}, after checking that its bytes still hash to {@code b}'s id. */
    public Path verified(Stored image, Blob b) {
        Path p = dir.resolve(BLOBS).resolve(b.sha256());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
        } catch (IOException e) {
            throw damaged(image.name(), "its file " + p + " cannot be read (" + e.getMessage() + ")");
        }
        if (bytes.length != b.size() || !sha256(bytes).equals(b.sha256())) {
            throw damaged(image.name(), "its file " + p + " does not hold what the record names");
        }
        return p;
    }

    /** Stores an image under {@code s.name()}, replacing any image of that name; returns the record as written. */
    public Stored put(String name, String description, String release, byte[] kernel, byte[] initrd, String bootargs,
                      long memory, List<String> modules, List<String> sources) {
        checkName(name);
        try {
            Path blobs = dir.resolve(BLOBS);
            ownerOnlyDirectory(dir);
            ownerOnlyDirectory(blobs);
            Blob k = blob(blobs, kernel);
            Blob i = blob(blobs, initrd);
            Stored s = new Stored(name, description, release, k, i, bootargs, memory, modules, sources);
            RealFileLayer.INSTANCE.writeAtomically(dir.resolve(name), encode(s));
            prune();
            return s;
        } catch (IOException e) {
            throw ToolstackException.failed("cannot store image " + name + " in " + dir + ": " + e.getMessage());
        }
    }

    /** Removes image {@code name}; false when there is none. */
    public boolean remove(String name) {
        checkName(name);
        try {
            boolean gone = Files.deleteIfExists(dir.resolve(name));
            prune();
            return gone;
        } catch (IOException e) {
            throw ToolstackException.failed("cannot remove image " + name + " from " + dir + ": " + e.getMessage());
        }
    }

    /** Like the rest of .vmtree, only its owner may read the images (docs/security.md). */
    private static void ownerOnlyDirectory(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d);
        }
        try {
            Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
            // the store's own directories are equally unprotected there
        }
    }

    private static Blob blob(Path blobs, byte[] content) throws IOException {
        String sha = sha256(content);
        Path p = blobs.resolve(sha);
        if (!Files.isRegularFile(p) || Files.size(p) != content.length) {
            RealFileLayer.INSTANCE.writeAtomically(p, content);
        }
        return new Blob(sha, content.length);
    }

    /** Deletes blobs (and leftover .tmp files) that no readable record names. */
    private void prune() throws IOException {
        Set<String> named = new HashSet<>();
        Listing all = listing();
        if (!all.damaged().isEmpty()) {
            return; // a record we cannot read may name any blob: delete none
        }
        for (Stored s : all.images()) {
            named.add(s.kernel().sha256());
            named.add(s.initrd().sha256());
        }
        Path blobs = dir.resolve(BLOBS);
        if (!Files.isDirectory(blobs)) {
            return;
        }
        try (Stream<Path> s = Files.list(blobs)) {
            for (Path p : s.toList()) {
                if (!named.contains(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static byte[] encode(Stored s) {
        StringBuilder b = new StringBuilder();
        b.append(MAGIC).append(' ').append(VERSION).append('\n');
        b.append("name ").append(s.name()).append('\n');
        b.append("description ").append(oneLine(s.description())).append('\n');
        b.append("release ").append(oneLine(s.release())).append('\n');
        b.append("kernel ").append(s.kernel().sha256()).append(' ').append(s.kernel().size()).append('\n');
        b.append("initrd ").append(s.initrd().sha256()).append(' ').append(s.initrd().size()).append('\n');
        b.append("append ").append(oneLine(s.bootargs())).append('\n');
        b.append("memory ").append(s.memory()).append('\n');
        b.append("modules ").append(String.join(" ", s.modules())).append('\n');
        for (String src : s.sources()) {
            b.append("source ").append(oneLine(src)).append('\n');
        }
        String body = b.toString();
        return (body + String.format("crc32c %08x%n", crc(body.getBytes(StandardCharsets.UTF_8))))
                .getBytes(StandardCharsets.UTF_8);
    }

    private Stored read(Path p) {
        String name = p.getFileName().toString();
        byte[] bytes;
        try {
            if (Files.size(p) > MAX_RECORD) {
                throw damaged(name, "its record is larger than " + MAX_RECORD + " bytes");
            }
            bytes = Files.readAllBytes(p);
        } catch (IOException e) {
            throw damaged(name, "its record cannot be read (" + e.getMessage() + ")");
        }
        return decode(name, bytes);
    }

    static Stored decode(String file, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int crcAt = text.lastIndexOf("crc32c ");
        if (!text.startsWith(MAGIC + " ") || crcAt < 0
                || !text.substring(crcAt).strip().equals(String.format("crc32c %08x",
                crc(text.substring(0, crcAt).getBytes(StandardCharsets.UTF_8))))) {
            throw damaged(file, "its record is not a vmtree image record or fails its checksum");
        }
        String[] lines = text.substring(0, crcAt).split("\n");
        String version = lines[0].substring(MAGIC.length() + 1).strip();
        if (!version.equals(Integer.toString(VERSION))) {
            throw damaged(file, "its record has version " + version + "; this vmtree reads version " + VERSION);
        }
        String name = null, description = "", release = "", append = "";
        Blob kernel = null, initrd = null;
        long memory = 0;
        List<String> modules = List.of();
        List<String> sources = new ArrayList<>();
        try {
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i];
                int sp = l.indexOf(' ');
                String key = sp < 0 ? l : l.substring(0, sp);
                String value = sp < 0 ? "" : l.substring(sp + 1);
                switch (key) {
                    case "name" -> name = value;
                    case "description" -> description = value;
                    case "release" -> release = value;
                    case "kernel" -> kernel = blob(value);
                    case "initrd" -> initrd = blob(value);
                    case "append" -> append = value;
                    case "memory" -> memory = Long.parseLong(value);
                    case "modules" -> modules = value.isEmpty() ? List.of() : List.of(value.split(" "));
                    case "source" -> sources.add(value);
                    default -> { } // a later version may add lines
                }
            }
        } catch (NumberFormatException e) {
            throw damaged(file, "its record has a malformed line (" + e.getMessage() + ")");
        }
        if (!file.equals(name) || kernel == null || initrd == null || memory < 0) {
            throw damaged(file, "its record lacks its name, kernel or initrd");
        }
        return new Stored(name, description, release, kernel, initrd, append, memory, modules, sources);
    }

    private static Blob blob(String value) {
        String[] f = value.split(" ");
        if (f.length != 2 || !HEX.matcher(f[0]).matches()) {
            throw new NumberFormatException("blob '" + value + "'");
        }
        long size = Long.parseLong(f[1]);
        if (size < 0) {
            throw new NumberFormatException("blob size " + size);
        }
        return new Blob(f[0], size);
    }

    private static ToolstackException damaged(String name, String why) {
        return new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "image '" + name + "' in the repository is"
                + " damaged: " + why + " (import it again with `vmtree image import-deb`)");
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
    }

    private static long crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return c.getValue();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
