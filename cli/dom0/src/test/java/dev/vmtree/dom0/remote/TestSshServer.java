package dev.vmtree.dom0.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.UploadPack;
import org.eclipse.jgit.util.QuotedString;

/**
 * An SSH server for tests, in-process (Apache MINA sshd) on 127.0.0.1 at a free port: public-key
 * authentication with a key it generates for the client, SFTP, and {@code git-upload-pack} /
 * {@code git-receive-pack} served by JGit, all confined to {@code root} (which both see as "/").
 * {@link #writeClientSetup} writes what a client needs into an SSH directory: the key, and a
 * known_hosts that trusts this server's host key.
 */
public final class TestSshServer implements AutoCloseable {
    public static final String USER = "tester";

    private final SshServer server;
    private final Path root;
    final KeyPair hostKey;
    final KeyPair clientKey;

    private TestSshServer(SshServer server, Path root, KeyPair hostKey, KeyPair clientKey) {
        this.server = server;
        this.root = root;
        this.hostKey = hostKey;
        this.clientKey = clientKey;
    }

    public static TestSshServer start(Path root) throws Exception {
        Path r = root.toAbsolutePath().normalize();
        Files.createDirectories(r);
        KeyPair hostKey = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        KeyPair clientKey = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        server.setPublickeyAuthenticator((user, key, session) -> user.equals(USER)
                && KeyUtils.compareKeys(key, clientKey.getPublic()));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setFileSystemFactory(new VirtualFileSystemFactory(r));
        server.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
        server.setCommandFactory((channel, command) -> new GitCommand(r, command));
        server.start();
        return new TestSshServer(server, r, hostKey, clientKey);
    }

    public int port() {
        return server.getPort();
    }

    public Path root() {
        return root;
    }

    /** ssh://tester@127.0.0.1:PORT/PATH */
    public String url(String path) {
        return "ssh://" + USER + "@127.0.0.1:" + port() + "/" + path;
    }

    /** The client key as id_ed25519 (owner-only, as OpenSSH requires) and known_hosts trusting this server. */
    public void writeClientSetup(Path sshDir) throws Exception {
        Files.createDirectories(sshDir);
        Path id = sshDir.resolve("id_ed25519");
        try (OutputStream out = Files.newOutputStream(id)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(clientKey, "vmtree-test", null, out);
        }
        Files.setPosixFilePermissions(id, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(sshDir.resolve("known_hosts"), knownHostsLine(hostKey));
    }

    public String knownHostsLine(KeyPair key) {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(key.getPublic()) + "\n";
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }

    /** git-upload-pack 'PATH' or git-receive-pack 'PATH', on a bare repository under the root. */
    private static final class GitCommand implements Command {
        private final Path root;
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Thread thread;

        GitCommand(Path root, String command) {
            this.root = root;
            this.command = command;
        }

        @Override public void setInputStream(InputStream in) { this.in = in; }
        @Override public void setOutputStream(OutputStream out) { this.out = out; }
        @Override public void setErrorStream(OutputStream err) { this.err = err; }
        @Override public void setExitCallback(ExitCallback exit) { this.exit = exit; }

        @Override
        public void start(ChannelSession channel, Environment env) {
            thread = new Thread(this::run, "test-ssh " + command);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            int status = 0;
            String message = null;
            try {
                int sp = command.indexOf(' ');
                String verb = sp < 0 ? command : command.substring(0, sp);
                if (sp < 0 || !(verb.equals("git-upload-pack") || verb.equals("git-receive-pack"))) {
                    throw new IOException("unknown command: " + command);
                }
                String path = QuotedString.BOURNE.dequote(command.substring(sp + 1));
                Path dir = root.resolve(path.startsWith("/") ? path.substring(1) : path).normalize();
                if (!dir.startsWith(root) || !Files.isDirectory(dir.resolve("objects"))) {
                    throw new IOException("'" + path + "' does not appear to be a git repository");
                }
                try (Repository repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
                    if (verb.equals("git-upload-pack")) {
                        new UploadPack(repo).upload(in, out, err);
                    } else {
                        new ReceivePack(repo).receive(in, out, err);
                    }
                }
                out.flush();
            } catch (IOException | RuntimeException e) {
                status = 1;
                message = "fatal: " + e.getMessage();
            }
            if (message != null) {
                PrintStream p = new PrintStream(err, true, StandardCharsets.UTF_8);
                p.println(message);
            }
            exit.onExit(status);
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (thread != null) {
                thread.interrupt();
            }
        }
    }
}
