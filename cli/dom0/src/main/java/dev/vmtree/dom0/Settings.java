package dev.vmtree.dom0;

import dev.vmtree.dom0.policy.Limits;
import dev.vmtree.store.fs.IoErrors;
import dev.vmtree.store.fs.RealFileLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.eclipse.jgit.errors.ConfigInvalidException;
import org.eclipse.jgit.lib.Config;

/**
 * vmtree's configuration: Git-config text files ({@code [section] key = value}, parsed and written
 * with JGit's {@link Config}) in two scopes. The repository file {@code .vmtree/config} overrides
 * the global file {@code $VMTREE_CONFIG_HOME/config} (default {@code ~/.config/vmtree/config}).
 * Only the keys in {@link #KEYS} are accepted, each validated when set, so a typo is an error and
 * not a silently ignored setting. Files are replaced atomically.
 *
 * <p>Threading: not thread-safe; each call reads the files afresh, so other processes' changes are seen.
 */
public final class Settings {

    /** Where a value lives. */
    public enum Scope { REPOSITORY, GLOBAL }

    /** A known key: its dotted name, what it means, and a check of a value (throws BAD_INPUT). */
    public record Key(String name, String description, Consumer<String> check) {}

    public static final String SIGNING_KEY = "user.signingKey";
    public static final String ALLOWED_SIGNERS = "gpg.ssh.allowedSignersFile";

    public static final List<Key> KEYS = List.of(
            new Key("user.name", "author name recorded in snapshots", v -> nonEmpty("user.name", v)),
            new Key("user.email", "author e-mail recorded in snapshots", v -> nonEmpty("user.email", v)),
            new Key(SIGNING_KEY, "private SSH key file `vmtree tag -s` signs with (as git's gpg.format=ssh)",
                    v -> nonEmpty(SIGNING_KEY, v)),
            new Key(ALLOWED_SIGNERS, "allowed-signers file `vmtree verify` trusts (ssh-keygen's format, as git's)",
                    v -> nonEmpty(ALLOWED_SIGNERS, v)),
            new Key(ProtectedRefs.SETTING, "protected refs: patterns such as 'heads/main tags/golden-*' that are not"
                    + " deleted, renamed or moved backwards without --force (docs/cli.md)", ProtectedRefs::parse),
            new Key("gc.reflogExpire", "vmtree gc drops reflog entries older than this (default 90d)", Durations::parse),
            new Key("machine.memory", "default RAM of `vmtree create` (default 128M)", Settings::checkMemory),
            new Key("machine.harts", "default hart count of `vmtree create` (default 1)", Settings::checkHarts),
            new Key(EngineChoice.SETTING, "engine of exec, run, replay, bisect and debug without --engine:"
                    + " interpreter, translator or eager (default: VMTREE_ENGINE, else interpreter)",
                    v -> EngineChoice.parse(EngineChoice.SETTING, v)),
            new Key(Limits.MAX_INSTANCES, "most instances running at once in the repository; a start beyond it is"
                    + " refused (default: no limit)", v -> maxInstances(Limits.MAX_INSTANCES, v)),
            new Key(Limits.MAX_MEMORY, "most guest RAM of the instances running at once, e.g. 8G; a start beyond it is"
                    + " refused (default: no limit)", v -> maxMemory(Limits.MAX_MEMORY, v)));

    public static final String DEFAULT_REFLOG_EXPIRE = "90d";
    public static final long DEFAULT_MEMORY = 128L << 20;
    public static final int DEFAULT_HARTS = 1;
    public static final int MAX_HARTS = 64;

    private final Path repositoryFile;
    private final Path globalFile;

    /** @param repositoryFile {@code .vmtree/config}, or null outside a repository */
    public Settings(Path repositoryFile, Path globalFile) {
        this.repositoryFile = repositoryFile;
        this.globalFile = globalFile;
    }

    /**
     * The global configuration file: system property {@code vmtree.config.home} (tests), else
     * {@code $VMTREE_CONFIG_HOME}, else {@code $XDG_CONFIG_HOME/vmtree}, else {@code ~/.config/vmtree}; then {@code /config}.
     */
    public static Path globalFile() {
        String dir = System.getProperty("vmtree.config.home");
        if (dir == null || dir.isEmpty()) {
            dir = System.getenv("VMTREE_CONFIG_HOME");
        }
        if (dir == null || dir.isEmpty()) {
            String xdg = System.getenv("XDG_CONFIG_HOME");
            dir = xdg == null || xdg.isEmpty()
                    ? Path.of(System.getProperty("user.home"), ".config", "vmtree").toString()
                    : Path.of(xdg, "vmtree").toString();
        }
        return Path.of(dir, "config");
    }

    public Path file(Scope scope) {
        if (scope == Scope.REPOSITORY) {
            if (repositoryFile == null) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN,
                        "not in a vmtree repository; use --global for the global configuration");
            }
            return repositoryFile;
        }
        return globalFile;
    }

    /** The effective value: the repository's, else the global one. */
    public Optional<String> get(String key) {
        Key k = key(key);
        if (repositoryFile != null) {
            Optional<String> v = get(Scope.REPOSITORY, k.name());
            if (v.isPresent()) {
                return v;
            }
        }
        return get(Scope.GLOBAL, k.name());
    }

    public Optional<String> get(Scope scope, String key) {
        String[] p = split(key(key).name());
        return Optional.ofNullable(load(file(scope)).getString(p[0], p[1], p[2]));
    }

    /** Sets a key after checking its value. */
    public void set(Scope scope, String key, String value) {
        Key k = key(key);
        k.check().accept(value);
        Config c = load(file(scope));
        String[] p = split(k.name());
        c.setString(p[0], p[1], p[2], value);
        save(file(scope), c);
    }

    /** Removes a key; false when it was not set in that scope. */
    public boolean unset(Scope scope, String key) {
        Key k = key(key);
        Config c = load(file(scope));
        String[] p = split(k.name());
        if (c.getString(p[0], p[1], p[2]) == null) {
            return false;
        }
        c.unset(p[0], p[1], p[2]);
        save(file(scope), c);
        return true;
    }

    /** Every key set in one scope, or the effective values when {@code scope} is null, sorted by name. */
    public Map<String, String> list(Scope scope) {
        Map<String, String> out = new TreeMap<>();
        if (scope == null || scope == Scope.GLOBAL) {
            addAll(out, load(globalFile));
        }
        if ((scope == null && repositoryFile != null) || scope == Scope.REPOSITORY) {
            addAll(out, load(file(Scope.REPOSITORY)));
        }
        return out;
    }

    private static void addAll(Map<String, String> out, Config c) {
        for (String s : c.getSections()) {
            for (String n : c.getNames(s)) {
                out.put(s + "." + n, c.getString(s, null, n));
            }
            for (String sub : c.getSubsections(s)) {
                for (String n : c.getNames(s, sub)) {
                    out.put(s + "." + sub + "." + n, c.getString(s, sub, n));
                }
            }
        }
    }

    /**
     * What fsck says about the configuration: each file that cannot be read or parsed, and each
     * known key whose value the commands that use it would refuse (gc reads gc.reflogExpire, run
     * core.engine).
     * Empty when all is well.
     */
    public List<String> verify() {
        List<String> out = new ArrayList<>();
        boolean readable = true;
        for (Path f : java.util.Arrays.asList(globalFile, repositoryFile)) {
            if (f == null) {
                continue;
            }
            try {
                load(f);
            } catch (ToolstackException e) {
                out.add(e.getMessage());
                readable = false;
            }
        }
        if (!readable) {
            return out;
        }
        for (var check : List.<java.util.Map.Entry<String, Runnable>>of(
                java.util.Map.entry("gc.reflogExpire", this::reflogExpire),
                java.util.Map.entry("machine.memory", this::defaultMemory),
                java.util.Map.entry("machine.harts", this::defaultHarts),
                java.util.Map.entry(Limits.MAX_INSTANCES,
                        () -> get(Limits.MAX_INSTANCES).ifPresent(v -> maxInstances(Limits.MAX_INSTANCES, v))),
                java.util.Map.entry(Limits.MAX_MEMORY,
                        () -> get(Limits.MAX_MEMORY).ifPresent(v -> maxMemory(Limits.MAX_MEMORY, v))),
                java.util.Map.entry(EngineChoice.SETTING,
                        () -> get(EngineChoice.SETTING).ifPresent(Backend.named(Backend.DEFAULT)::engine)))) {
            try {
                check.getValue().run();
            } catch (RuntimeException e) {
                out.add("configuration " + check.getKey() + " = '" + get(check.getKey()).orElse("") + "' is refused: "
                        + e.getMessage() + " (set it again with `vmtree config " + check.getKey() + " VALUE`)");
            }
        }
        return out;
    }

    // ---- typed views -------------------------------------------------------------------------

    /** The snapshot author: user.name and user.email, each empty when unset. */
    public Author author() {
        return new Author(get("user.name").orElse(""), get("user.email").orElse(""));
    }

    /** The protected-ref patterns ({@code refs.protect}); none when unset. */
    public ProtectedRefs protectedRefs() {
        return ProtectedRefs.parse(get(ProtectedRefs.SETTING).orElse(""));
    }

    public Duration reflogExpire() {
        return Durations.parse(get("gc.reflogExpire").orElse(DEFAULT_REFLOG_EXPIRE));
    }

    public long defaultMemory() {
        return get("machine.memory").map(v -> MachineValues.memory("machine.memory", v)).orElse(DEFAULT_MEMORY);
    }

    public int defaultHarts() {
        return get("machine.harts").map(v -> MachineValues.harts("machine.harts", v)).orElse(DEFAULT_HARTS);
    }

    /**
     * The engine {@value EngineChoice#SETTING} names, empty when unset; BAD_INPUT (naming the key and
     * how to fix it) when the file holds a value that names no engine.
     */
    public Optional<String> engine() {
        return get(EngineChoice.SETTING).map(v -> {
            try {
                return Backend.named(Backend.DEFAULT).engine(v);
            } catch (IllegalArgumentException e) {
                throw ToolstackException.badInput("configuration " + EngineChoice.SETTING + ": " + e.getMessage()
                        + "; set it with `vmtree config " + EngineChoice.SETTING + " ENGINE`, or give --engine");
            }
        });
    }

    /**
     * The limits on running instances: {@code dom0.maxInstances} and {@code dom0.maxMemory}, each
     * {@link Limits#NONE}'s when unset. BAD_INPUT naming the key and how to fix it when the file
     * holds a value {@code config} would refuse.
     */
    public Limits limits() {
        int n = get(Limits.MAX_INSTANCES).map(v -> configured(Limits.MAX_INSTANCES, () -> maxInstances(
                Limits.MAX_INSTANCES, v))).orElse(Limits.UNLIMITED_INSTANCES);
        long m = get(Limits.MAX_MEMORY).map(v -> configured(Limits.MAX_MEMORY, () -> maxMemory(Limits.MAX_MEMORY, v)))
                .orElse(Limits.UNLIMITED_MEMORY);
        return new Limits(n, m);
    }

    private static <T> T configured(String key, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (ToolstackException e) {
            throw ToolstackException.badInput("configuration " + e.getMessage() + "; fix it with `vmtree config " + key
                    + " VALUE`");
        }
    }

    /** Who a snapshot is by; empty fields mean "not configured". */
    public record Author(String name, String email) {}

    // ---- helpers -----------------------------------------------------------------------------

    /** The known key named {@code name} (matched case-insensitively in section and key, as Git does). */
    public static Key key(String name) {
        for (Key k : KEYS) {
            if (k.name().equalsIgnoreCase(name)) {
                return k;
            }
        }
        throw ToolstackException.badInput("unknown config key '" + name + "' (known: "
                + String.join(", ", KEYS.stream().map(Key::name).toList()) + ")");
    }

    private static String[] split(String key) {
        int first = key.indexOf('.');
        int last = key.lastIndexOf('.');
        return first == last
                ? new String[] {key.substring(0, first), null, key.substring(last + 1)}
                : new String[] {key.substring(0, first), key.substring(first + 1, last), key.substring(last + 1)};
    }

    static Config load(Path f) {
        Config c = new Config();
        if (!Files.exists(f)) {
            return c;
        }
        try {
            c.fromText(Files.readString(f, StandardCharsets.UTF_8));
            return c;
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read " + f + ": " + IoErrors.reason(e), e);
        } catch (ConfigInvalidException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "damaged configuration file " + f + ": "
                    + e.getMessage() + " (fix or delete it)", e);
        }
    }

    static void save(Path f, Config c) {
        try {
            RealFileLayer.INSTANCE.createDirectories(f.getParent());
            RealFileLayer.INSTANCE.writeAtomically(f, c.toText().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot write " + f + ": " + IoErrors.reason(e), e);
        }
    }

    private static void nonEmpty(String key, String v) {
        if (v.isBlank() || v.contains("\n") || v.contains("<") || v.contains(">")) {
            throw ToolstackException.badInput(key + " must be one line without '<' or '>'");
        }
    }

    private static void checkMemory(String v) {
        MachineValues.memory("machine.memory", v);
    }

    /** A {@code dom0.maxInstances} value: a whole number from 1. */
    static int maxInstances(String key, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n < Limits.UNLIMITED_INSTANCES) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw ToolstackException.badInput(key + " must be a whole number from 1 (unset it for no limit): " + v);
    }

    /** A {@code dom0.maxMemory} value: a size of at least the smallest machine's RAM. */
    static long maxMemory(String key, String v) {
        long bytes;
        try {
            bytes = Sizes.parse(v);
        } catch (ToolstackException e) {
            throw ToolstackException.badInput(key + ": " + e.getMessage());
        }
        if (bytes < MachineValues.MIN_MEMORY || bytes == Limits.UNLIMITED_MEMORY) {
            throw ToolstackException.badInput(key + " must be a size of at least " + Sizes.format(MachineValues.MIN_MEMORY)
                    + ", the smallest machine (unset it for no limit): " + v);
        }
        return bytes;
    }

    private static void checkHarts(String v) {
        MachineValues.harts("machine.harts", v);
    }
}
