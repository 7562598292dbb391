package dev.vmtree.store;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes bundle import (docs/security.md, "Fuzzing"): {@link Bundle#read} over any file ends in a
 * clean import or check, or in a one-line {@link BundleException}, never another exception and never
 * an unbounded allocation, and a read that did not import leaves the receiver exactly as it was
 * ({@link FuzzReceiver} checks it all on every input). {@link #rawBundle} takes the file's bytes as
 * they come; {@link #editedBundle} takes an edit script over a valid bundle ({@link BundleEdits}) that
 * keeps checksums and sizes consistent, so mutations reach the checks behind them. Seeds in
 * {@code BundleFuzzTestInputs/} ({@link FuzzSeeds}); the receiver is made from the seed {@code valid-base}.
 */
class BundleFuzzTest {
    private static Path dir;
    private static FuzzReceiver receiver;
    private static List<List<TarBytes.Entry>> bundles;

    @BeforeAll
    static void receiver() throws IOException {
        dir = Files.createTempDirectory("vmtree-bundle-fuzz-");
        receiver = FuzzReceiver.create(dir, seed("valid-base"));
        bundles = new ArrayList<>();
        for (String name : new String[] {"valid-full", "valid-thin", "valid-base"}) {
            bundles.add(TarBytes.read(seed(name)));
        }
    }

    @AfterAll
    static void figures() {
        if (receiver != null) {
            receiver.close();
            System.err.println("BundleFuzzTest outcomes: " + receiver.outcomes);
            FuzzReceiver.deleteTree(dir);
        }
    }

    static byte[] seed(String name) throws IOException {
        try (InputStream in = BundleFuzzTest.class.getResourceAsStream("BundleFuzzTestInputs/rawBundle/" + name)) {
            if (in == null) {
                throw new IllegalStateException("seed " + name + " is missing: regenerate the seeds (FuzzSeeds)");
            }
            return in.readAllBytes();
        }
    }

    @FuzzTest(maxDuration = "10m")
    void rawBundle(byte[] file) {
        receiver.read(file, true, true);
    }

    @FuzzTest(maxDuration = "10m")
    void editedBundle(byte[] script) {
        BundleEdits.Result r = BundleEdits.apply(script, bundles);
        receiver.read(r.file(), r.apply(), r.force());
    }
}
