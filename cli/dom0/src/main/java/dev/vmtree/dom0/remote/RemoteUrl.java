package dev.vmtree.dom0.remote;

import dev.vmtree.dom0.ToolstackException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Where a remote is, as a user writes it (docs/remotes.md): a path or {@code file://} URL, an SSH
 * location ({@code ssh://[user@]host[:port]/path}, or scp's {@code [user@]host:path}), or a static
 * HTTP layout ({@code http://} or {@code https://}, read-only).
 */
public sealed interface RemoteUrl {
    /** The text as the user wrote it, without credentials. */
    String text();

    /** A directory on this machine. */
    record Local(Path path, String text) implements RemoteUrl {}

    /**
     * A directory reached over SSH: JGit's transport for meta.git, SFTP in the same session for
     * chunks. {@code user} null and {@code port} 0 when the URL gives none: the ssh config's User
     * and Port then apply (else the local user name and 22), as with OpenSSH; {@code path} is
     * absolute, or relative to the login directory (scp's form).
     */
    record Ssh(String user, String host, int port, String path, String text) implements RemoteUrl {}

    /** A static layout on a web server (written by {@code vmtree remote export}). */
    record Http(URI base, String text) implements RemoteUrl {}

    /**
     * An object layout under {@code s3://BUCKET/PREFIX} in AWS S3 or an S3-compatible store at
     * {@code endpoint} (null: AWS, or what the AWS settings name; docs/remotes.md, "Object stores").
     * {@code prefix} has no leading or trailing '/', and is "" for the bucket's root.
     */
    record S3(String bucket, String prefix, URI endpoint, String text) implements RemoteUrl {
        public S3 withEndpoint(URI endpoint) {
            return new S3(bucket, prefix, endpoint, text);
        }
    }

    /** Parses a remote URL; {@code cwd} resolves a relative path. BAD_INPUT for anything else. */
    static RemoteUrl parse(String s, Path cwd) {
        if (s.isBlank() || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ToolstackException.badInput("not a remote URL: '" + s.replaceAll("\\p{Cntrl}", "?") + "'");
        }
        if (s.startsWith("file://")) {
            try {
                return new Local(Path.of(new URI(s)), s);
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw ToolstackException.badInput("not a file URL: " + s + " (file:///absolute/path)");
            }
        }
        if (s.startsWith("http://") || s.startsWith("https://")) {
            try {
                URI u = new URI(s.endsWith("/") ? s : s + "/");
                if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
                    throw new URISyntaxException(s, "no host, or a query or fragment");
                }
                return new Http(u, s.replaceFirst("//[^/@]*@", "//"));
            } catch (URISyntaxException e) {
                throw ToolstackException.badInput("not an HTTP URL: " + s);
            }
        }
        if (s.startsWith("s3://")) {
            return parseS3(s);
        }
        if (s.startsWith("ssh://")) {
            try {
                URI u = new URI(s);
                if (u.getHost() == null || u.getPath() == null || u.getPath().isEmpty() || u.getPort() > 65535) {
                    throw new URISyntaxException(s, "no host or path, or a port past 65535");
                }
                return new Ssh(u.getUserInfo(), u.getHost(), Math.max(u.getPort(), 0), u.getPath(), s);
            } catch (URISyntaxException e) {
                throw ToolstackException.badInput("not an SSH URL: " + s + " (ssh://[user@]host[:port]/path)");
            }
        }
        if (s.contains("://")) {
            throw ToolstackException.badInput("unsupported remote URL scheme: " + s
                    + " (a path, file://, ssh://, user@host:path, http://, https:// or s3://)");
        }
        int colon = s.indexOf(':');
        int slash = s.indexOf('/');
        if (colon > 0 && (slash < 0 || colon < slash)) {
            // scp's form, as git takes it: [user@]host:path (a relative path is relative to the login directory)
            String hostPart = s.substring(0, colon);
            String path = s.substring(colon + 1);
            int at = hostPart.lastIndexOf('@');
            String user = at <= 0 ? null : hostPart.substring(0, at);
            String host = hostPart.substring(at + 1);
            if (host.isEmpty() || path.isEmpty()) {
                throw ToolstackException.badInput("not an SSH location: " + s + " ([user@]host:path)");
            }
            return new Ssh(user, host, 0, path, s);
        }
        return new Local(cwd.resolve(s).toAbsolutePath().normalize(), s);
    }

    /** {@code s3://BUCKET[/PREFIX]}: a bucket name as S3 allows it, a prefix of plain path segments. */
    private static S3 parseS3(String s) {
        String rest = s.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]") || bucket.contains("..")) {
            throw ToolstackException.badInput("not an S3 URL: " + s + " (s3://BUCKET/PREFIX; a bucket name is 3 to 63"
                    + " lowercase letters, digits, '.' and '-')");
        }
        for (String seg : prefix.isEmpty() ? new String[0] : prefix.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || seg.length() > 255 || seg.contains("\\")) {
                throw ToolstackException.badInput("not an S3 URL: " + s + " (its prefix has an empty, '.' or '..' part)");
            }
        }
        if (prefix.length() > 512) {
            throw ToolstackException.badInput("not an S3 URL: its prefix is longer than 512 characters");
        }
        return new S3(bucket, prefix, null, "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix));
    }
}
