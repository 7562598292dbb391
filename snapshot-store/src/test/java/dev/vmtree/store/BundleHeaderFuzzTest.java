package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the bundle header parser (docs/security.md, "Fuzzing"): any bytes decode or throw
 * {@code IllegalArgumentException} with one short printable line, never another exception; a decode
 * allocates at most a small multiple of its input; what decodes encodes to a header that decodes to
 * the same. Seeds in {@code BundleHeaderFuzzTestInputs/decode} ({@link FuzzSeeds}).
 */
class BundleHeaderFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void decode(byte[] bytes) {
        BundleHeader h = decodeOrNull(bytes);
        // measured the second time, when whatever the first needed is loaded
        long before = Allocation.now();
        decodeOrNull(bytes);
        Allocation.check(before, bytes.length, 1 << 20, 64, "a decode");
        if (h != null) {
            assertThat(BundleHeader.decode(h.encode())).isEqualTo(h);
        }
    }

    private static BundleHeader decodeOrNull(byte[] bytes) {
        try {
            return BundleHeader.decode(bytes);
        } catch (IllegalArgumentException e) {
            Allocation.oneLine(e.getMessage(), 200, e);
            return null;
        }
    }
}
