package dev.vmtree.dom0;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Config;

/**
 * The remotes of a repository: {@code [remote "NAME"] url = URL} sections of {@code .vmtree/config}
 * (docs/format.md, "Configuration files"), as Git keeps them. Read afresh on every call.
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

    /** Removes remote {@code name}; returns its URL. Its remote-tracking refs are the caller's to delete. */
    public String remove(String name) {
        String url = url(name);
        Config c = Settings.load(file);
        c.unsetSection("remote", name);
        Settings.save(file, c);
        return url;
    }
}
