package dev.vmtree.dom0;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vmtree.store.ChunkId;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Fuzzes the live-migration stream's parser (docs/format.md, "Migration stream"), which reads what
 * another process sent: any bytes read as checked records up to an End, or are refused with a
 * {@link MigrationStream.BadStreamException} of one short line; never another exception. Every chunk
 * handed on hashes to its id; a state reads back the same from its own encoding. Seeds in
 * {@code MigrationStreamFuzzTestInputs/read}.
 */
class MigrationStreamFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void read(byte[] bytes) throws IOException {
        MigrationStream.Reader in = new MigrationStream.Reader(new ByteArrayInputStream(bytes));
        try {
            while (true) {
                switch (in.next()) {
                    case MigrationStream.Chunk c -> assertThat(ChunkId.hash(c.data())).isEqualTo(c.id());
                    case MigrationStream.Round r -> assertThat(r.round()).isPositive();
                    case MigrationStream.State s -> assertThat(MigrationStream.parseState(MigrationStream.encodeState(s)))
                            .isEqualTo(s);
                    case MigrationStream.End e -> {
                        return;
                    }
                }
            }
        } catch (MigrationStream.BadStreamException e) {
            assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r");
            assertThat(e.getMessage().length()).isLessThan(400);
        }
    }
}
