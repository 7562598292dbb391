package dev.vmtree.store.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;

/**
 * Fuzzes what an HTTP remote's 206 answer is held to (docs/security.md, "Fuzzing"): a
 * {@code Content-Range} header, any text, is accepted only when it names exactly the bytes asked
 * for, and refused otherwise with one short printable line; never another exception (the header's
 * numbers are bounded before they are parsed). Seeds in {@code ContentRangeFuzzTestInputs/check}.
 */
class ContentRangeFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void check(FuzzedDataProvider data) {
        long offset = data.consumeLong(0, Long.MAX_VALUE / 2);
        long last = offset + data.consumeLong(0, 1L << 40);
        String header = data.consumeRemainingAsString();
        try {
            HttpFiles.checkContentRange("pack", header, offset, last);
            // the very bytes asked for (leading zeros allowed: fuzzing found "bytes 0-00/0", which is 0-0)
            assertThat(header.strip()).matches("bytes 0*" + offset + "-0*" + last + "/(\\d+|\\*)");
        } catch (IOException e) {
            String m = e.getMessage();
            assertThat(m.length()).isLessThan(200);
            assertThat(m.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).as("printable: %s", m).isTrue();
        }
    }
}
