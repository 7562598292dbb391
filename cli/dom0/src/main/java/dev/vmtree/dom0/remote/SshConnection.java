package dev.vmtree.dom0.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.ConfigFileHostEntryResolver;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.config.keys.BuiltinClientIdentitiesWatcher;
import org.apache.sshd.client.config.keys.ClientIdentityLoader;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.util.io.resource.PathResource;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RemoteSession;
import org.eclipse.jgit.transport.RemoteSession2;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.util.FS;

/**
 * One authenticated SSH session to a remote host (docs/remotes.md, "SSH remotes"), shared by JGit's
 * Git transport (each git-upload-pack or git-receive-pack is an exec channel in it) and by SFTP (the
 * chunks): one connection, one host-key check, one authentication. Set up as OpenSSH users expect,
 * from one directory ({@link Settings}): its {@code config} (Host, HostName, Port, User,
 * IdentityFile), its {@code known_hosts} (a host whose key is not there, has changed or is revoked
 * is refused, never added), its default keys ({@code id_ed25519}, {@code id_ecdsa}, {@code id_rsa})
 * and the keys of the SSH agent at {@code $SSH_AUTH_SOCK}. Channels may be opened from any thread.
 *
 * <p>Built on Apache MINA sshd directly rather than JGit's {@code SshdSessionFactory}: that one
 * keeps its sshd session private, and its FTP channel has neither ranged reads nor fsync, which
 * the pack files of a remote need.
 */
public final class SshConnection implements AutoCloseable {
    /** The directory named by this system property (or else environment variable) replaces ~/.ssh. */
    public static final String DIR_PROPERTY = "vmtree.ssh.dir";
    public static final String DIR_VARIABLE = "VMTREE_SSH_DIR";
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final SshClient client;
    private final ClientSession session;
    private final String describe;

    private SshConnection(SshClient client, ClientSession session, String describe) {
        this.client = client;
        this.session = session;
        this.describe = describe;
    }

    /**
     * Where this host's SSH setup is: {@code directory} holds config, known_hosts and the default
     * keys; {@code agent} is the SSH agent's socket, or null.
     */
    public record Settings(Path directory, Path agent) {
        /**
         * The directory named by {@value #DIR_PROPERTY} or $VMTREE_SSH_DIR, else ~/.ssh; the agent
         * at $SSH_AUTH_SOCK.
         */
        public static Settings fromEnvironment() {
            String dir = System.getProperty(DIR_PROPERTY);
            if (dir == null || dir.isBlank()) {
                dir = System.getenv(DIR_VARIABLE);
            }
            Path d = dir == null || dir.isBlank() ? Path.of(System.getProperty("user.home"), ".ssh") : Path.of(dir);
            String agent = System.getenv("SSH_AUTH_SOCK");
            return new Settings(d, agent == null || agent.isBlank() ? null : Path.of(agent));
        }
    }

    /**
     * Connects and authenticates. An IOException's message is one line that says what to do: an
     * unknown or changed host key, every key refused, a host that does not answer.
     */
    public static SshConnection open(RemoteUrl.Ssh url, Settings settings) throws IOException {
        Path sshDir = settings.directory();
        HostKeys hostKeys = new HostKeys(sshDir.resolve("known_hosts"));
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(hostKeys);
        client.setHostConfigEntryResolver(new ConfigFileHostEntryResolver(sshDir.resolve("config")));
        client.setFilePasswordProvider(NO_PASSPHRASE);
        Set<String> skipped = java.util.Collections.synchronizedSet(new java.util.LinkedHashSet<>());
        client.setKeyIdentityProvider(keyFiles(sshDir, skipped));
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        SshAgentSocket.configure(client, settings.agent());
        client.start();
        ClientSession session = null;
        String where = url.host() + (url.port() > 0 ? ":" + url.port() : "");
        try {
            HostConfigEntry entry = client.getHostConfigEntryResolver().resolveEffectiveHost(url.host(), url.port(),
                    null, url.user(), null, null);
            if (entry == null) {
                entry = new HostConfigEntry(url.host(), url.host(), url.port() > 0 ? url.port() : 22,
                        url.user() != null ? url.user() : System.getProperty("user.name"));
            }
            where = entry.getUsername() + "@" + entry.getHostName() + ":" + entry.getPort();
            hostKeys.target = entry.getPort() == 22 ? entry.getHostName() : "[" + entry.getHostName() + "]:" + entry.getPort();
            try {
                session = client.connect(entry, null, null).verify(TIMEOUT).getSession();
            } catch (IOException e) {
                throw new IOException("cannot connect to " + where + ": " + rootMessage(e), e);
            }
            try {
                session.auth().verify(TIMEOUT);
            } catch (IOException e) {
                throw new IOException(where + " accepted none of the keys in " + sshDir
                        + " or the SSH agent (" + rootMessage(e) + ")"
                        + (skipped.isEmpty() ? "" : "; skipped " + String.join(", ", skipped)), e);
            }
            return new SshConnection(client, session, where);
        } catch (IOException | RuntimeException e) {
            if (session != null) {
                session.close(true);
            }
            client.stop();
            if (hostKeys.refusal != null) {
                throw new IOException(hostKeys.refusal, e);  // whichever step noticed, the host key is why
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException(where + ": " + rootMessage(e), e);
        }
    }

    /**
     * The default key files of {@code sshDir} (id_rsa, id_ecdsa, id_ed25519, ...) that can be used
     * without a prompt: skipping, as OpenSSH does, one that others may read, and one that is
     * encrypted (the agent serves those); why each was skipped goes to {@code skipped}.
     */
    private static KeyIdentityProvider keyFiles(Path sshDir, Set<String> skipped) {
        List<PathResource> keys = new ArrayList<>();
        for (Path p : BuiltinClientIdentitiesWatcher.getDefaultBuiltinIdentitiesPaths(sshDir)) {
            if (!Files.isRegularFile(p)) {
                continue;
            }
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                perms.removeAll(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.OWNER_EXECUTE));
                if (!perms.isEmpty()) {
                    skipped.add(p + " (readable by others)");
                    continue;
                }
            } catch (IOException | UnsupportedOperationException e) {
                // no POSIX permissions to check here
            }
            keys.add(new PathResource(p));
        }
        return session -> {
            List<KeyPair> out = new ArrayList<>();
            for (PathResource r : keys) {
                try {
                    Iterable<KeyPair> loaded = ClientIdentityLoader.DEFAULT.loadClientIdentities(session, r, NO_PASSPHRASE);
                    if (loaded != null) {
                        loaded.forEach(out::add);
                    }
                } catch (IOException | GeneralSecurityException | RuntimeException e) {
                    String why = rootMessage(e);
                    skipped.add(r.getPath() + (why.contains("encrypted") ? " (encrypted: add it to the SSH agent)"
                            : " (" + why + ")"));
                }
            }
            return out;
        };
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() != null ? t.getMessage() : e.getMessage();
        m = m == null ? t.getClass().getSimpleName() : m;
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** user@host:port, as connected. */
    public String describe() {
        return describe;
    }

    /** A new SFTP channel in this session. */
    SftpClient sftp() throws IOException {
        return SftpClientFactory.instance().createSftpClient(session);
    }

    /** Points a JGit transport at this session (its Git commands become exec channels here). */
    public void configure(Transport t) {
        if (t instanceof SshTransport ssh) {
            ssh.setSshSessionFactory(factory);
        }
    }

    /** The Git URI of {@code path} on the remote, as JGit's SSH transport takes it. */
    URIish gitUri(RemoteUrl.Ssh url, String path) {
        URIish u = new URIish().setHost(url.host()).setUser(url.user()).setPath(path);
        return path.startsWith("/") ? u.setScheme("ssh").setPort(url.port() > 0 ? url.port() : -1) : u;
    }

    /** Hands out this connection's session to every JGit transport, and never ends it: close does. */
    private final SshSessionFactory factory = new SshSessionFactory() {
        @Override
        public RemoteSession getSession(URIish uri, CredentialsProvider credentials, FS fs, int tms) {
            return remoteSession;
        }

        @Override
        public String getType() {
            return "vmtree";
        }

        @Override
        public void releaseSession(RemoteSession s) {
            // the session outlives each Git command; SshConnection.close ends it
        }
    };

    private final RemoteSession2 remoteSession = new RemoteSession2() {
        @Override
        public Process exec(String command, int timeout) throws IOException {
            return exec(command, Map.of(), timeout);
        }

        @Override
        public Process exec(String command, Map<String, String> env, int timeout) throws IOException {
            ChannelExec exec = session.createExecChannel(command, null, env);
            try {
                exec.open().verify(timeout > 0 ? Duration.ofSeconds(timeout) : TIMEOUT);
            } catch (IOException | RuntimeException e) {
                exec.close(true);
                throw e;
            }
            return new ExecProcess(exec, command);
        }

        @Override
        public void disconnect() {
            // as releaseSession: close ends the session
        }
    };

    /** A remote command as the Process JGit's transport reads and writes. */
    private static final class ExecProcess extends Process {
        private final ChannelExec channel;
        private final String command;

        ExecProcess(ChannelExec channel, String command) {
            this.channel = channel;
            this.command = command;
        }

        @Override
        public OutputStream getOutputStream() {
            return channel.getInvertedIn();
        }

        @Override
        public InputStream getInputStream() {
            return channel.getInvertedOut();
        }

        @Override
        public InputStream getErrorStream() {
            return channel.getInvertedErr();
        }

        @Override
        public int waitFor() {
            channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), -1L);
            return exitValue();
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) {
            return channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), unit.toMillis(timeout))
                    .contains(ClientChannelEvent.CLOSED);
        }

        @Override
        public int exitValue() {
            Integer status = channel.getExitStatus();
            if (status == null) {
                if (channel.isClosed()) {
                    return -1;  // closed without an exit status (a signal, or the connection dropped)
                }
                throw new IllegalThreadStateException(command + " is still running");
            }
            return status;
        }

        @Override
        public void destroy() {
            if (channel.isOpen()) {
                channel.close(false);
            }
        }
    }

    @Override
    public void close() {
        try {
            session.close(false).await(TIMEOUT);
        } catch (IOException e) {
            // closing: nothing left to do with the session
        } finally {
            client.stop();
        }
    }

    /** Encrypted key files are skipped (the agent serves those): vmtree does not prompt for passphrases. */
    private static final FilePasswordProvider NO_PASSPHRASE = new FilePasswordProvider() {
        @Override
        public String getPassword(SessionContext session, NamedResource resource, int retry) {
            return null;
        }

        @Override
        public ResourceDecodeResult handleDecodeAttemptResult(SessionContext session, NamedResource resource, int retry,
                                                              String password, Exception err) {
            return err == null ? ResourceDecodeResult.TERMINATE : ResourceDecodeResult.IGNORE;
        }
    };

    /**
     * known_hosts as OpenSSH reads it (hashed names, [host]:port, @revoked), refusing what it does
     * not vouch for, and keeping why in {@link #refusal} for a one-line message.
     */
    private static final class HostKeys extends KnownHostsServerKeyVerifier {
        private final Path file;
        volatile String refusal;

        HostKeys(Path file) {
            super((session, remote, key) -> false, file);
            this.file = file;
            setModifiedServerKeyAcceptor(this);
        }

        /** The host as known_hosts names it: host, or [host]:port off port 22. */
        volatile String target = "?";

        private String host(ClientSession session, SocketAddress remote) {
            return target;
        }

        private static String key(PublicKey key) {
            return KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
        }

        @Override
        protected boolean acceptUnknownHostKey(ClientSession session, SocketAddress remote, PublicKey key) {
            String host = host(session, remote);
            refusal = "the host key of " + host + " (" + key(key) + ") is not in " + file
                    + (Files.exists(file) ? "" : " (no such file)")
                    + ": check the fingerprint and add it (ssh-keyscan, or connect once with ssh)";
            return false;
        }

        @Override
        public boolean acceptModifiedServerKey(ClientSession session, SocketAddress remote, KnownHostEntry entry,
                                               PublicKey expected, PublicKey actual) {
            String host = host(session, remote);
            refusal = "THE HOST KEY OF " + host + " HAS CHANGED (now " + key(actual) + ", " + file + " has "
                    + key(expected) + "): someone may be intercepting the connection; if the change is expected,"
                    + " remove the old key (ssh-keygen -R '" + host + "' -f " + file + ")";
            return false;
        }

        @Override
        protected void handleRevokedKey(ClientSession session, SocketAddress remote, PublicKey key) {
            refusal = "the host key of " + host(session, remote) + " (" + key(key) + ") is marked @revoked in " + file;
        }
    }
}
