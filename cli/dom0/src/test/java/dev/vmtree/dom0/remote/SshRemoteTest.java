package dev.vmtree.dom0.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.TransferException;
import dev.vmtree.store.WriteTransaction;
import dev.vmtree.store.remote.RemoteFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.sshd.agent.common.AbstractAgentClient;
import org.apache.sshd.agent.local.AgentImpl;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyEncryptionContext;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SSH remotes end to end against an in-process SSH server on 127.0.0.1 ({@link TestSshServer}). */
class SshRemoteTest {
    private static final Duration LOCK = Duration.ofSeconds(10);
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    private TestSshServer server;
    private SshConnection.Settings ssh;

    @BeforeEach
    void start() throws Exception {
        server = TestSshServer.start(dir.resolve("server"));
        Path sshDir = dir.resolve("ssh");
        server.writeClientSetup(sshDir);
        ssh = new SshConnection.Settings(sshDir, null);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    /** Every third page zero, every third random, the rest low-entropy. */
    private static byte[][] pages(int n, long seed) {
        byte[][] out = new byte[n][];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            if (i % 3 == 1) {
                out[i] = new byte[PAGE];
                r.nextBytes(out[i]);
            } else if (i % 3 == 2) {
                out[i] = new byte[PAGE];
                for (int j = 0; j < PAGE; j += 64) {
                    out[i][j] = (byte) (i + j);
                }
            }
        }
        return out;
    }

    private static SnapshotId commit(Repository repo, String branch, byte[][] pages, String msg) {
        try (WriteTransaction tx = repo.beginWrite()) {
            SnapshotId parent = repo.resolve(branch).orElse(null);
            PageTreeRoot root = tx.buildTree((long) pages.length * PAGE, PAGE, i -> pages[(int) i]);
            SnapshotId id = tx.writeSnapshot(parent == null ? List.of() : List.of(parent),
                    new SnapshotContent(Map.of("config", msg.getBytes()), Map.of("ram", root)), msg);
            assertThat(tx.updateRef(branch, parent, id, msg).ok()).isTrue();
            return id;
        }
    }

    private Transfer.Remote open(String url, boolean create) {
        return Connector.open(RemoteUrl.parse(url, dir), "origin", dir.resolve("cache-" + url.hashCode()), create,
                LOCK, m -> {}, ssh);
    }

    private Transfer.Result push(Repository repo, String url) throws Exception {
        Transfer.Remote remote = open(url, true);
        try (var chunks = remote.chunks()) {
            return Transfer.push(repo, remote, Map.of("refs/heads/main", "refs/heads/main"), false,
                    new Transfer.Counters(), LOCK, m -> {});
        }
    }

    private Transfer.Result fetch(Repository repo, String url) throws Exception {
        Transfer.Remote remote = open(url, false);
        try (var chunks = remote.chunks()) {
            return Transfer.fetch(repo, remote, ref -> ref.startsWith("refs/heads/")
                    ? "refs/remotes/origin/" + ref.substring(11) : ref, false, new Transfer.Counters(), LOCK, m -> {});
        }
    }

    private static void assertPages(Repository repo, SnapshotId id, byte[][] pages) {
        PageTree t = repo.pageTree(repo.readSnapshot(id).content().images().get("ram"));
        for (int i = 0; i < pages.length; i++) {
            assertThat(t.page(i)).as("page %d", i).isEqualTo(pages[i]);
        }
    }

    @Test
    void aPushToAnAbsentPathMakesABareStoreThereAndAFetchBringsEveryPageBack() throws Exception {
        byte[][] pages = pages(600, 7);
        String url = server.url("images/golden");
        SnapshotId id;
        try (Repository a = Repository.init(dir.resolve("a"))) {
            id = commit(a, "main", pages, "one");
            Transfer.Result r = push(a, url);
            assertThat(r.refs()).singleElement().satisfies(u -> assertThat(u.outcome()).isEqualTo(Transfer.Outcome.NEW));
            assertThat(r.chunks()).isGreaterThan(400);
            assertThat(a.refs()).containsEntry("refs/remotes/origin/main", id);
        }
        Path bare = server.root().resolve("images/golden");
        assertThat(bare.resolve("FORMAT")).exists();
        try (Repository b = Repository.openStore(bare)) {
            assertThat(b.refs()).containsEntry("refs/heads/main", id);
            assertThat(b.fsck().ok()).isTrue();
        }
        try (Repository c = Repository.init(dir.resolve("c"))) {
            Transfer.Result r = fetch(c, url);
            assertThat(r.snapshots()).isEqualTo(1);
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", id);
            assertPages(c, id, pages);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void anUpdateMovesOnlyItsNewChunksBothWays() throws Exception {
        byte[][] pages = pages(3000, 3);
        String url = server.url("remote");
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            commit(a, "main", pages, "one");
            push(a, url);
            fetch(c, url);
            Random r = new Random(5);
            for (int k = 0; k < 10; k++) {
                byte[] p = new byte[PAGE];
                r.nextBytes(p);
                pages[1 + 3 * r.nextInt(999)] = p;
            }
            SnapshotId two = commit(a, "main", pages, "two");
            Transfer.Result up = push(a, url);
            assertThat(up.refs().getFirst().outcome()).isEqualTo(Transfer.Outcome.FAST_FORWARD);
            // ten pages, and the nodes above them: one root and at most ten level-1 nodes
            assertThat(up.chunks()).isBetween(10L, 22L);
            Transfer.Result down = fetch(c, url);
            assertThat(down.chunks()).isEqualTo(up.chunks());
            assertThat(down.bytes()).isEqualTo(up.bytes());
            assertThat(c.refs()).containsEntry("refs/remotes/origin/main", two);
            assertPages(c, two, pages);
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void scpFormThroughAHostAliasAndIdentityFileOfTheSshConfigReachesAPathRelativeToTheLoginDirectory() throws Exception {
        Path key = ssh.directory().resolve("golden_key");
        Files.move(ssh.directory().resolve("id_ed25519"), key);
        Files.writeString(ssh.directory().resolve("config"), """
                Host golden-host
                  HostName 127.0.0.1
                  Port %d
                  User %s
                  IdentityFile %s
                """.formatted(server.port(), TestSshServer.USER, key));
        Files.writeString(ssh.directory().resolve("known_hosts"), server.knownHostsLine(server.hostKey));
        byte[][] pages = pages(90, 11);
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            SnapshotId id = commit(a, "main", pages, "one");
            push(a, "golden-host:images/kv");
            assertThat(server.root().resolve("images/kv/meta.git")).isDirectory();
            fetch(c, "golden-host:images/kv");
            assertPages(c, id, pages);
        }
    }

    @Test
    void fetchingFromAPathWithNoStoreSaysSoAndMakesNothingThere() {
        assertThatThrownBy(() -> open(server.url("nothing"), false))
                .isInstanceOf(ToolstackException.class).hasMessageContaining("is not a vmtree repository");
        assertThat(server.root().resolve("nothing")).doesNotExist();
    }

    @Test
    void anUnknownHostKeyIsRefusedWithOneLineThatSaysWhatToDo() throws Exception {
        Files.writeString(ssh.directory().resolve("known_hosts"), "");
        assertThatThrownBy(() -> open(server.url("remote"), true))
                .isInstanceOf(ToolstackException.class)
                .hasMessageContaining("the host key of [127.0.0.1]:" + server.port())
                .hasMessageContaining("is not in " + ssh.directory().resolve("known_hosts"))
                .hasMessageContaining(KeyUtils.getFingerPrint(server.hostKey.getPublic()))
                .hasMessageNotContaining("\n");
        assertThat(server.root().resolve("remote")).doesNotExist();
    }

    @Test
    void aChangedHostKeyIsRefusedAndNamed() throws Exception {
        KeyPair other = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        Files.writeString(ssh.directory().resolve("known_hosts"), server.knownHostsLine(other));
        assertThatThrownBy(() -> open(server.url("remote"), true))
                .isInstanceOf(ToolstackException.class)
                .hasMessageContaining("HAS CHANGED")
                .hasMessageContaining("ssh-keygen -R '[127.0.0.1]:" + server.port() + "'")
                .hasMessageNotContaining("\n");
        assertThat(server.root().resolve("remote")).doesNotExist();
    }

    @Test
    void withoutAKeyTheServerAcceptsTheErrorSaysWhereKeysWereLookedFor() throws Exception {
        Files.delete(ssh.directory().resolve("id_ed25519"));
        assertThatThrownBy(() -> open(server.url("remote"), true))
                .isInstanceOf(ToolstackException.class)
                .hasMessageContaining("accepted none of the keys in " + ssh.directory())
                .hasMessageNotContaining("\n");
    }

    @Test
    void aForgedChunkInTheRemotePackIsRejectedAndTheRepositoryStaysAsItWas() throws Exception {
        String url = server.url("remote");
        try (Repository a = Repository.init(dir.resolve("a")); Repository c = Repository.init(dir.resolve("c"))) {
            commit(a, "main", pages(90, 4), "a");
            push(a, url);
            SnapshotId mine = commit(c, "main", pages(9, 5), "mine");
            Path pack;
            try (Stream<Path> s = Files.list(server.root().resolve("remote/chunks"))) {
                pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
            }
            byte[] b = Files.readAllBytes(pack);
            b[b.length / 2] ^= 1;
            Files.write(pack, b);
            List<String> before;
            try (Stream<Path> s = Files.list(c.chunks().directory())) {
                before = s.map(Path::toString).sorted().toList();
            }
            assertThatThrownBy(() -> fetch(c, url))
                    .isInstanceOf(TransferException.class).hasMessageContaining("damaged or forged");
            assertThat(c.refs()).isEqualTo(Map.of("refs/heads/main", mine));
            try (Stream<Path> s = Files.list(c.chunks().directory())) {
                assertThat(s.map(Path::toString).sorted().toList()).isEqualTo(before);
            }
            assertThat(c.fsck().ok()).isTrue();
        }
    }

    @Test
    void theSshAgentsKeysAuthenticateWhenNoKeyFileDoes() throws Exception {
        Files.delete(ssh.directory().resolve("id_ed25519"));
        Path sock = dir.resolve("agent.sock");
        AgentImpl agent = new AgentImpl();
        agent.addIdentity(server.clientKey, "in the agent");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(sock));
            Thread serving = Thread.ofVirtual().start(() -> serveAgent(listener, agent));
            ssh = new SshConnection.Settings(ssh.directory(), sock);
            try (var chunks = open(server.url("remote"), true).chunks()) {
                assertThat(server.root().resolve("remote/FORMAT")).exists();
            }
            listener.close();
            serving.join();
        }
    }

    /** sshd's in-memory agent behind a Unix socket, one connection at a time, until the socket closes. */
    private static void serveAgent(ServerSocketChannel listener, AgentImpl agent) {
        try {
            while (true) {
                try (SocketChannel ch = listener.accept()) {
                    AbstractAgentClient proto = new AbstractAgentClient(agent) {
                        @Override
                        protected void reply(Buffer buf) throws IOException {
                            ByteBuffer b = ByteBuffer.wrap(buf.array(), buf.rpos(), buf.available());
                            while (b.hasRemaining()) {
                                ch.write(b);
                            }
                        }
                    };
                    ByteBuffer in = ByteBuffer.allocate(1 << 16);
                    while (ch.read(in.clear()) > 0) {
                        proto.messageReceived(new ByteArrayBuffer(in.array(), 0, in.position()));
                    }
                }
            }
        } catch (IOException e) {
            // the listener closed: the test is over
        }
    }

    @Test
    void anEncryptedKeyIsSkippedAndAnotherKeyStillAuthenticates() throws Exception {
        KeyPair other = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        OpenSSHKeyEncryptionContext enc = new OpenSSHKeyEncryptionContext();
        enc.setPassword("secret");
        enc.setCipherName("AES");
        enc.setCipherType("256");
        Path id = ssh.directory().resolve("id_ecdsa");
        try (OutputStream out = Files.newOutputStream(id)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(other, "encrypted", enc, out);
        }
        Files.setPosixFilePermissions(id, PosixFilePermissions.fromString("rw-------"));
        try (var chunks = open(server.url("remote"), true).chunks()) {
            assertThat(server.root().resolve("remote/FORMAT")).exists();
        }
        Files.delete(ssh.directory().resolve("id_ed25519"));
        assertThatThrownBy(() -> open(server.url("remote"), false))
                .isInstanceOf(ToolstackException.class)
                .hasMessageContaining("skipped " + id + " (encrypted: add it to the SSH agent)");
    }

    @Test
    void aKeyFileOthersMayReadIsSkippedAndTheErrorNamesIt() throws Exception {
        Path id = ssh.directory().resolve("id_ed25519");
        Files.setPosixFilePermissions(id, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> open(server.url("remote"), true))
                .isInstanceOf(ToolstackException.class)
                .hasMessageContaining("skipped " + id + " (readable by others)")
                .hasMessageNotContaining("\n");
    }

    @Test
    void sftpFilesReadExactRangesReplaceOnRenameAndSayWhatIsMissing() throws Exception {
        RemoteUrl.Ssh url = (RemoteUrl.Ssh) RemoteUrl.parse(server.url("files"), dir);
        try (SftpFiles f = new SftpFiles(SshConnection.open(url, ssh), url.path(), url.text())) {
            assertThat(f.syncs()).isTrue();
            assertThat(f.exists("")).isFalse();
            assertThat(f.list("")).isEmpty();
            f.mkdirs("a/b");
            byte[] data = new byte[3 * SftpFiles.REQUEST + 123];
            new Random(1).nextBytes(data);
            try (OutputStream o = f.create("a/b/x.tmp")) {
                o.write(data);
            }
            f.rename("a/b/x.tmp", "a/b/x");
            try (OutputStream o = f.create("a/b/y.tmp")) {
                o.write(new byte[] {1, 2, 3});
            }
            f.rename("a/b/y.tmp", "a/b/x");  // over an existing file
            assertThat(f.readAll("a/b/x", 10)).containsExactly(1, 2, 3);
            assertThat(f.list("a/b")).containsExactly("x");
            try (OutputStream o = f.create("a/b/x")) {
                o.write(data);
            }
            for (long[] r : new long[][] {{0, data.length}, {5, 2 * SftpFiles.REQUEST}, {SftpFiles.REQUEST - 1, 2},
                    {data.length - 7, 7}, {17, 1000}}) {
                try (InputStream in = f.read("a/b/x", r[0], r[1])) {
                    assertThat(in.readAllBytes()).as("%d+%d", r[0], r[1])
                            .isEqualTo(java.util.Arrays.copyOfRange(data, (int) r[0], (int) (r[0] + r[1])));
                }
            }
            assertThatThrownBy(() -> f.readAll("a/b/x", 100)).isInstanceOf(RemoteFiles.TooLargeException.class);
            assertThatThrownBy(() -> f.readAll("a/b/none", 100)).isInstanceOf(NoSuchFileException.class);
            assertThatThrownBy(() -> f.at("../escape")).isInstanceOf(IllegalArgumentException.class);
            f.delete("a/b/x");
            f.delete("a/b/x");  // deleting what is gone is fine
            assertThat(f.list("a/b")).isEmpty();
        }
        assertThat(server.root().resolve("files/a/b")).isEmptyDirectory();
    }
}
