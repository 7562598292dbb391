package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed seed corpora of the store's fuzz tests are {@link FuzzSeeds}' cases, and each seed
 * ends the way it is named for: a valid bundle imports, each hostile one is refused for its own
 * reason (not an earlier, accidental one), so the corpora keep exercising what they claim to. The
 * fuzz tests themselves check only the contract on them. Regenerate with
 * {@code bin/build -q -Dvmtree.skipAot=true -pl snapshot-store verify -Dtest=FuzzSeedsTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dvmtree.writeSeeds=true}.
 */
class FuzzSeedsTest {
    static final Path RESOURCES = Path.of("src", "test", "resources", "dev", "vmtree", "store").toAbsolutePath();
    private static Path dir;
    private static Map<String, FuzzSeeds.Seed> fresh;

    @BeforeAll
    static void generate() throws IOException {
        dir = Files.createTempDirectory("vmtree-fuzz-seeds-");
        fresh = new TreeMap<>();
        for (FuzzSeeds.Seed s : FuzzSeeds.generate(dir)) {
            fresh.put(s.dir() + "/" + s.name(), s);
        }
        if (Boolean.getBoolean("vmtree.writeSeeds")) {
            for (String d : new String[] {FuzzSeeds.HEADER, FuzzSeeds.RAW, FuzzSeeds.EDITED, FuzzSeeds.TAG}) {
                FuzzReceiver.deleteTree(RESOURCES.resolve(d));
                Files.createDirectories(RESOURCES.resolve(d));
            }
            for (FuzzSeeds.Seed s : fresh.values()) {
                Files.write(RESOURCES.resolve(s.dir()).resolve(s.name()), s.bytes());
            }
        }
    }

    @AfterAll
    static void clean() {
        FuzzReceiver.deleteTree(dir);
    }

    private static Map<String, byte[]> committed() throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        for (String d : new String[] {FuzzSeeds.HEADER, FuzzSeeds.RAW, FuzzSeeds.EDITED, FuzzSeeds.TAG}) {
            try (Stream<Path> s = Files.list(RESOURCES.resolve(d))) {
                for (Path p : s.toList()) {
                    out.put(d + "/" + p.getFileName(), Files.readAllBytes(p));
                }
            }
        }
        return out;
    }

    @Test
    void theCommittedSeedsAreTheGeneratorsCases() throws IOException {
        assertThat(committed().keySet()).as("the committed seeds are stale: regenerate them (see FuzzSeedsTest)")
                .isEqualTo(fresh.keySet());
    }

    @Test
    void seedsAreSmall() throws IOException {
        // the one above 16 KiB is a GNU long name that must pass the tar layer's 64 KiB cap to be refused by it
        assertThat(committed().entrySet().stream().filter(e -> e.getValue().length > 16 << 10).map(Map.Entry::getKey)
                .collect(Collectors.toSet())).containsOnly(FuzzSeeds.RAW + "/huge-long-name");
    }

    @Test
    void everyCommittedSeedEndsAsItsNameSays() throws IOException {
        Map<String, byte[]> seeds = committed();
        Path work = Files.createTempDirectory(dir, "receiver-");
        try (FuzzReceiver receiver = FuzzReceiver.create(work, seeds.get(FuzzSeeds.RAW + "/valid-base"))) {
            java.util.List<java.util.List<TarBytes.Entry>> bundles = new java.util.ArrayList<>();
            for (String n : new String[] {"valid-full", "valid-thin", "valid-base"}) {
                bundles.add(TarBytes.read(seeds.get(FuzzSeeds.RAW + "/" + n)));
            }
            Map<String, String> got = new TreeMap<>();
            Map<String, String> want = new TreeMap<>();
            for (var e : seeds.entrySet()) {
                String expect = fresh.containsKey(e.getKey()) ? fresh.get(e.getKey()).expect() : "(no expectation)";
                String outcome;
                try {
                    outcome = outcome(e.getKey(), e.getValue(), receiver, bundles);
                } catch (RuntimeException | AssertionError x) {
                    outcome = "broke the contract: " + x;
                }
                // the outcome matches when it is the expected kind or its message contains the expected words
                want.put(e.getKey(), expect);
                got.put(e.getKey(), outcome.equals(expect) || outcome.contains(expect) ? expect : outcome);
            }
            Map<String, String> wrong = new TreeMap<>();
            got.forEach((k, v) -> {
                if (!v.equals(want.get(k))) {
                    wrong.put(k, "expected " + want.get(k) + ", got " + v);
                }
            });
            assertThat(wrong).as("seeds that do not end as their names say").isEmpty();
        }
    }

    private static String outcome(String key, byte[] bytes, FuzzReceiver receiver,
                                  java.util.List<java.util.List<TarBytes.Entry>> bundles) {
        if (key.startsWith(FuzzSeeds.HEADER)) {
            try {
                BundleHeader.decode(bytes);
                return "ok";
            } catch (IllegalArgumentException e) {
                return "bad: " + e.getMessage();
            }
        }
        if (key.startsWith(FuzzSeeds.TAG)) {
            try {
                TagObject.parse("0".repeat(40), "refs/tags/seed", bytes);
                return "ok";
            } catch (DamagedObjectException e) {
                return "bad: " + e.getMessage();
            }
        }
        FuzzReceiver.Outcome o;
        if (key.startsWith(FuzzSeeds.RAW)) {
            o = receiver.read(bytes, true, true);
        } else {
            BundleEdits.Result r = BundleEdits.apply(bytes, bundles);
            o = receiver.read(r.file(), r.apply(), r.force());
        }
        return o.message() == null ? o.kind() : o.kind() + ": " + o.message();
    }
}
