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
 * The committed seeds of {@link RemoteFuzzTest} are {@link RemoteFuzzTest#seeds}, byte for byte;
 * regenerate with {@code -Dvmtree.writeSeeds=true} (as {@code FuzzSeedsTest}).
 */
class RemoteFuzzSeedsTest {
    @Test
    void theCommittedSeedsAreTheGeneratedOnes() throws IOException {
        Map<String, byte[]> fresh = new TreeMap<>(RemoteFuzzTest.seeds());
        Path res = FuzzSeedsTest.RESOURCES;
        if (Boolean.getBoolean("vmtree.writeSeeds")) {
            for (String d : new String[] {RemoteFuzzTest.PACKS, RemoteFuzzTest.PROBE}) {
                FuzzReceiver.deleteTree(res.resolve(d));
                Files.createDirectories(res.resolve(d));
            }
            for (var e : fresh.entrySet()) {
                Files.write(res.resolve(e.getKey()), e.getValue());
            }
        }
        Map<String, byte[]> committed = new TreeMap<>();
        for (String d : new String[] {RemoteFuzzTest.PACKS, RemoteFuzzTest.PROBE}) {
            try (Stream<Path> s = Files.list(res.resolve(d))) {
                for (Path p : s.toList()) {
                    committed.put(d + "/" + p.getFileName(), Files.readAllBytes(p));
                }
            }
        }
        assertThat(committed.keySet()).isEqualTo(fresh.keySet());
        fresh.forEach((k, v) -> assertThat(committed.get(k)).as(k).isEqualTo(v));
    }

    @Test
    void theValidSeedReadsEveryChunkAndTheHostileOnesAreRefused() throws Exception {
        Map<String, byte[]> seeds = RemoteFuzzTest.seeds();
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/valid"))).isEqualTo("3 read");
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/traversal"))).contains("bad pack name");
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/newer-listing"))).contains("version");
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/forged-chunk"))).isEqualTo("2 read, 1 damaged");
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/truncated-pack"))).contains("ended early");
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/truncated-index"))).contains("not a pack index");
        assertThat(outcome(seeds.get(RemoteFuzzTest.PACKS + "/index-count-2-to-the-60"))).contains("not a pack index");
    }

    private static String outcome(byte[] input) throws Exception {
        Map<String, byte[]> files = RemoteFuzzTest.frame(input);
        Path cache = Files.createTempDirectory("vmtree-fuzz-cache-");
        try (var m = new RemoteFuzzTest.Memory(files)) {
            PackFileChunks chunks = new PackFileChunks(m, "", cache);
            chunks.packNames();
            var index = dev.vmtree.store.pack.PackIndex.decode(files.get("chunks/pack-0.idx"));
            java.util.List<ChunkId> ids = new java.util.ArrayList<>();
            for (int i = 0; i < index.size(); i++) {
                ids.add(index.id(i));
            }
            int[] good = {0, 0};
            chunks.read(ids, (id, buf, off, len) -> {
                try {
                    dev.vmtree.store.pack.ChunkCodec.decode(buf, off, len, id, true);
                    good[0]++;
                } catch (dev.vmtree.store.pack.ChunkCodec.DamagedRecordException e) {
                    good[1]++;
                }
            });
            return good[0] + " read" + (good[1] > 0 ? ", " + good[1] + " damaged" : "");
        } catch (TransferException | IOException e) {
            return e.getMessage();
        } finally {
            FuzzReceiver.deleteTree(cache);
        }
    }
}
