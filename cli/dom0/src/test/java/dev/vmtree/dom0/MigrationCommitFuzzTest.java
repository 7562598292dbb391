package dev.vmtree.dom0;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Fuzzes the parser of a migration snapshot's message (docs/format.md, "Migration snapshot"), which
 * comes from a remote: any text is not a migration (empty), a migration whose every field is valid and
 * which reads back the same from its own message, or refused as FAILED with one short line; never
 * another exception. Seeds in {@code MigrationCommitFuzzTestInputs/parse}.
 */
class MigrationCommitFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void parse(byte[] bytes) {
        String message = new String(bytes, StandardCharsets.UTF_8);
        Optional<MigrationCommit> m;
        try {
            m = MigrationCommit.parse(message);
        } catch (ToolstackException e) {
            assertThat(e.kind()).isEqualTo(ToolstackException.Kind.FAILED);
            assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r");
            assertThat(e.getMessage().length()).isLessThan(400);
            return;
        }
        if (m.isEmpty()) {
            return;
        }
        MigrationCommit c = m.get();
        assertThat(c.instructionsSinceBase()).isNotNegative();
        assertThat(MigrationCommit.parse(c.message())).contains(c);
    }
}
