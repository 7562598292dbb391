package dev.vmtree.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;

/**
 * Fuzzes the tag object reader (docs/security.md, "Fuzzing"), which meets hostile bytes in a bundle's
 * or a remote's tag: any bytes parse or throw {@link DamagedObjectException} with one line, never
 * another exception; a parsed tag's payload and signature are exactly its bytes, split where the
 * signature starts. Seeds in {@code TagObjectFuzzTestInputs/parse} ({@link FuzzSeeds}).
 */
class TagObjectFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void parse(byte[] raw) {
        String id = new ObjectInserter.Formatter().idFor(Constants.OBJ_TAG, raw).name();
        TagObject t = parseOrNull(id, raw);
        // measured the second time, when whatever the first needed is loaded
        long before = Allocation.now();
        parseOrNull(id, raw);
        Allocation.check(before, raw.length, 1 << 20, 64, "a tag parse");
        if (t == null) {
            return;
        }
        byte[] whole = t.signed() ? concat(t.payload(), t.signature()) : t.payload();
        assertThat(whole).isEqualTo(raw);
        assertThat(t.id()).isEqualTo(id);
        assertThat(ObjectId.isId(t.target().hex())).isTrue();
    }

    private static TagObject parseOrNull(String id, byte[] raw) {
        try {
            return TagObject.parse(id, "refs/tags/fuzz", raw);
        } catch (DamagedObjectException e) {
            Allocation.oneLine(e.getMessage(), 1000, e);
            return null;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
