package dev.vmtree.dom0.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vmtree.dom0.ToolstackException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Fuzzes the remote URL parser (docs/security.md, "Fuzzing"): a URL comes from the user or from
 * {@code .vmtree/config}, which another tool may have written. Any text parses to one of the three
 * kinds or is refused as bad input with one line; never another exception; a parsed HTTP URL's
 * text carries no {@code user:password@} of its authority; an SSH port is in range; a path is absolute. Seeds in
 * {@code RemoteUrlFuzzTestInputs/parse}.
 */
class RemoteUrlFuzzTest {
    private static final Path CWD = Path.of("/work/here");

    @FuzzTest(maxDuration = "10m")
    void parse(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        RemoteUrl u;
        try {
            u = RemoteUrl.parse(s, CWD);
        } catch (ToolstackException e) {
            assertThat(e.kind()).isEqualTo(ToolstackException.Kind.BAD_INPUT);
            String m = e.getMessage();
            assertThat(m.indexOf('\n')).as("one line: %s", m).isNegative();
            return;
        }
        switch (u) {
            case RemoteUrl.Local l -> assertThat(l.path().isAbsolute()).isTrue();
            case RemoteUrl.Ssh h -> {
                assertThat(h.host()).isNotEmpty();
                assertThat(h.port()).isBetween(0, 65535);
                assertThat(h.path()).isNotEmpty();
            }
            case RemoteUrl.Http h -> {
                assertThat(h.base().getHost()).isNotNull();
                // no credentials in the authority of what messages show (a look-alike later in the path is
                // path, as fuzzing found)
                assertThat(java.net.URI.create(h.text().endsWith("/") ? h.text() : h.text() + "/").getRawUserInfo()).isNull();
            }
            case RemoteUrl.S3 o -> {
                assertThat(o.bucket()).matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
                assertThat(o.prefix()).doesNotStartWith("/").doesNotEndWith("/").doesNotContain("//");
                assertThat(("/" + o.prefix() + "/")).doesNotContain("/../").doesNotContain("/./");
            }
        }
    }
}
