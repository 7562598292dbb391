package dev.vmtree.dom0.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.ToolstackException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RemoteUrlTest {
    private static final Path CWD = Path.of("/work/here");

    @Test
    void sshUrlsKeepUserPortAndAbsolutePath() {
        assertThat(RemoteUrl.parse("ssh://ann@images.example:2222/srv/golden", CWD))
                .isEqualTo(new RemoteUrl.Ssh("ann", "images.example", 2222, "/srv/golden",
                        "ssh://ann@images.example:2222/srv/golden"));
        // no user, no port: the ssh config's (else the local user and 22) apply, as with OpenSSH
        assertThat(RemoteUrl.parse("ssh://images.example/srv/golden", CWD))
                .isEqualTo(new RemoteUrl.Ssh(null, "images.example", 0, "/srv/golden", "ssh://images.example/srv/golden"));
    }

    @Test
    void scpFormIsRelativeToTheLoginDirectoryUnlessAbsoluteAndHasNoPort() {
        assertThat(RemoteUrl.parse("ann@images.example:golden/kv", CWD))
                .isEqualTo(new RemoteUrl.Ssh("ann", "images.example", 0, "golden/kv", "ann@images.example:golden/kv"));
        assertThat(RemoteUrl.parse("images:/srv/kv", CWD))
                .isEqualTo(new RemoteUrl.Ssh(null, "images", 0, "/srv/kv", "images:/srv/kv"));
    }

    @Test
    void aColonAfterASlashIsAPathNotAHost() {
        assertThat(RemoteUrl.parse("./odd:name", CWD)).isEqualTo(new RemoteUrl.Local(Path.of("/work/here/odd:name"), "./odd:name"));
    }

    @Test
    void anSshLocationWithoutHostOrPathIsBadInput() {
        assertThatThrownBy(() -> RemoteUrl.parse("images:", CWD)).isInstanceOf(ToolstackException.class)
                .hasMessageContaining("not an SSH location");
        assertThatThrownBy(() -> RemoteUrl.parse("ssh://images.example", CWD)).isInstanceOf(ToolstackException.class)
                .hasMessageContaining("not an SSH URL");
    }
}
