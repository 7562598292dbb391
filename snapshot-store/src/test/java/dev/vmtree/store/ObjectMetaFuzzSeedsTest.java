package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed seeds of {@link ObjectMetaFuzzTest} are {@link ObjectMetaFuzzTest#seeds}, byte for
 * byte (regenerate with {@code -Dvmtree.writeSeeds=true}), and each hostile one is refused for
 * what it is.
 */
class ObjectMetaFuzzSeedsTest {
    @Test
    void theCommittedSeedsAreTheGeneratedOnes() throws IOException {
        Map<String, byte[]> fresh = new TreeMap<>(ObjectMetaFuzzTest.seeds());
        Path res = FuzzSeedsTest.RESOURCES;
        Path d = res.resolve(ObjectMetaFuzzTest.STORE);
        if (Boolean.getBoolean("vmtree.writeSeeds")) {
            FuzzReceiver.deleteTree(d);
            Files.createDirectories(d);
            for (var e : fresh.entrySet()) {
                Files.write(res.resolve(e.getKey()), e.getValue());
            }
        }
        Map<String, byte[]> committed = new TreeMap<>();
        try (Stream<Path> s = Files.list(d)) {
            for (Path p : s.toList()) {
                committed.put(ObjectMetaFuzzTest.STORE + "/" + p.getFileName(), Files.readAllBytes(p));
            }
        }
        assertThat(committed.keySet()).isEqualTo(fresh.keySet());
        fresh.forEach((k, v) -> assertThat(committed.get(k)).as(k).isEqualTo(v));
    }

    private static String outcome(String seed) throws IOException {
        return ObjectMetaFuzzTest.outcome(ObjectMetaFuzzTest.frame(ObjectMetaFuzzTest.seeds().get(ObjectMetaFuzzTest.STORE + "/" + seed)));
    }

    @Test
    void theValidSeedReadsItsRefAndTheHostileOnesAreRefused() throws Exception {
        assertThat(outcome("valid")).isEqualTo("1 refs, 1 present");
        assertThat(outcome("newest-entry-names-a-missing-object")).isEqualTo("1 refs, 0 present");
        assertThat(outcome("short-sequence-number")).contains("malformed ref entry");
        assertThat(outcome("sequence-past-a-long")).contains("malformed ref entry");
        assertThat(outcome("traversal-in-a-ref")).contains("malformed ref entry");
        assertThat(outcome("entry-not-hex")).contains("is not a ref entry");
        assertThat(outcome("entry-too-long")).contains("more than");
        assertThat(outcome("forged-pack")).contains("does not match its name");
        assertThat(outcome("pack-object-count-2-to-the-31")).contains("refused before parsing");
        assertThat(outcome("bad-pack-name")).contains("malformed Git pack name");
        assertThat(outcome("newer-layout")).contains("newer than this vmtree reads");
        assertThat(outcome("odd-head")).isEqualTo("1 refs, 1 present");
    }
}
