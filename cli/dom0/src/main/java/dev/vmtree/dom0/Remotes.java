package dev.vmtree.dom0;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Config;

/**
 * The remotes of a repository: {@code [remote "NAME"] url = URL} sections of {@code .vmtree/config}
 * (docs/format.md, "Configuration files"), as Git keeps them, and {@code promisor = true} on the
 * one that promises the chunks a lazy clone lacks (as Git's partial clone marks its remote). Read
 * afresh on every call.
 */
public final class Remotes {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,99}");
    private final Path file;

    public Remotes(Toolstack ts) {
        this(ts.repository().storeDirectory().resolve(Toolstack.CONFIG_FILE));
    }

    Remotes(Path file) {
        this.file = file;
    }

    /** Checks a remote's name: letters, digits, '.', '_' and '-', not starting with '.' or '-', no "..". */
    public static String checkName(String name) {
        if (!NAME.matcher(name).matches() || name.contains("..") || name.endsWith(".lock") || name.endsWith(".")) {
            throw ToolstackException.badInput("not a usable remote name: '" + name.replaceAll("\\p{Cntrl}", "?")
                    + "' (letters, digits, '.', '_' and '-'; not starting with '.' or '-')");
        }
        return name;
    }

    /** Every remote, by name, and its URL. */
    public Map<String, String> list() {
        Config c = Settings.load(file);
        Map<String, String> out = new TreeMap<>();
        for (String name : c.getSubsections("remote")) {
            String url = c.getString("remote", name, "url");
            if (url != null) {
                out.put(name, url);
            }
        }
        return out;
    }

    /** The URL of remote {@code name}; FAILED when there is none. */
    public String url(String name) {
        String url = list().get(name);
        if (url == null) {
            throw ToolstackException.failed("no remote named " + name + " (`vmtree remote list` shows them; `vmtree"
                    + " remote add NAME URL` adds one)");
        }
        return url;
    }

    public void add(String name, String url) {
        add(name, url, null);
    }

    /**
     * Adds remote {@code name} at {@code url}; {@code endpoint} (or null) is the S3-compatible server
     * an {@code s3://} URL is on, kept as {@code endpoint} beside the URL.
     */
    public void add(String name, String url, String endpoint) {
        checkName(name);
        Config c = Settings.load(file);
        if (c.getString("remote", name, "url") != null) {
            throw ToolstackException.failed("remote " + name + " already exists (url " + c.getString("remote", name, "url") + ")");
        }
        c.setString("remote", name, "url", url);
        if (endpoint != null) {
            c.setString("remote", name, "endpoint", endpoint);
        }
        Settings.save(file, c);
    }

    /** The S3 endpoint configured for remote {@code name}, or null. */
    public String endpoint(String name) {
        return Settings.load(file).getString("remote", name, "endpoint");
    }

    /**
     * The remote that promises the chunks this repository lacks (a lazy clone's {@code origin}), or
     * empty: the first by name with {@code promisor = true} and a URL.
     */
    public java.util.Optional<String> promisor() {
        Config c = Settings.load(file);
        for (String name : new java.util.TreeSet<>(c.getSubsections("remote"))) {
            if (c.getString("remote", name, "url") != null && c.getBoolean("remote", name, PROMISOR, false)) {
                return java.util.Optional.of(name);
            }
        }
        return java.util.Optional.empty();
    }

    /** The key that marks a promisor remote. */
    static final String PROMISOR = "promisor";

    /** Marks remote {@code name} as the promisor of absent chunks, or (false) no longer. */
    public void setPromisor(String name, boolean promisor) {
        url(name);
        Config c = Settings.load(file);
        if (promisor) {
            c.setBoolean("remote", name, PROMISOR, true);
        } else {
            c.unset("remote", name, PROMISOR);
        }
        Settings.save(file, c);
    }

    /**
     * Removes remote {@code name}; returns its URL. Its remote-tracking refs are the caller's to delete.
     * The promisor of a lazy clone is not removed: the chunks it promises would be lost.
     */
    public String remove(String name) {
        String url = url(name);
        if (promisor().filter(name::equals).isPresent()) {
            throw ToolstackException.failed("remote " + name + " promises the chunks this lazy clone has not fetched:"
                    + " `vmtree fetch --all-chunks " + name + "` first");
        }
        Config c = Settings.load(file);
        c.unsetSection("remote", name);
        Settings.save(file, c);
        return url;
    }
}
