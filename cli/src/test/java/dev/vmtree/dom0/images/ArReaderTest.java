package dev.vmtree.dom0.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ArReader reads dpkg's ar layout and refuses what is not one, truncated or forged. */
class ArReaderTest {
    private static ArReader reader(byte[] b) throws Exception {
        return new ArReader(new ByteArrayInputStream(b), b.length);
    }

    @Test
    void readsMembersInOrderWithOddSizesPadded() throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
        m.put("odd", new byte[] {1, 2, 3});
        m.put("data.tar.xz", new byte[] {9});
        ArReader r = reader(TestDebs.ar(m));
        ArReader.Member a = r.next();
        assertThat(a).isEqualTo(new ArReader.Member("debian-binary", 4));
        assertThat(r.data().readAllBytes()).isEqualTo("2.0\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(r.next()).isEqualTo(new ArReader.Member("odd", 3)); // data not read: skipped with its pad byte
        assertThat(r.next()).isEqualTo(new ArReader.Member("data.tar.xz", 1));
        assertThat(r.data().readAllBytes()).containsExactly(9);
        assertThat(r.next()).isNull();
    }

    @Test
    void refusesWhatIsNotAnArArchive() {
        byte[] text = "hello, this is not a package at all\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> reader(text)).isInstanceOf(PackageException.class)
                .hasMessage("not a Debian package (no ar archive header)");
        assertThatThrownBy(() -> reader(new byte[0])).isInstanceOf(PackageException.class);
    }

    @Test
    void aMemberClaimingMoreThanTheFileHoldsIsTruncation() throws Exception {
        byte[] ar = TestDebs.ar(Map.of("data.tar.xz", new byte[100]));
        byte[] cut = Arrays.copyOf(ar, ar.length - 40);
        ArReader r = reader(cut);
        assertThatThrownBy(r::next).isInstanceOf(PackageException.class)
                .hasMessage("truncated ar archive (member data.tar.xz claims 100 bytes, 60 remain)");
    }

    @Test
    void aCutHeaderOrAForgedSizeFieldIsRefused() throws Exception {
        byte[] ar = TestDebs.ar(Map.of("x", new byte[4]));
        ArReader half = reader(Arrays.copyOf(ar, 8 + 30));
        assertThatThrownBy(half::next).hasMessage("truncated ar archive (a member header of 30 of 60 bytes)");
        byte[] forged = ar.clone();
        System.arraycopy("-5        ".getBytes(StandardCharsets.US_ASCII), 0, forged, 8 + 48, 10);
        assertThatThrownBy(() -> reader(forged).next()).hasMessage("damaged ar archive (member x has size '-5')");
        byte[] noEnd = ar.clone();
        noEnd[8 + 58] = 'X';
        assertThatThrownBy(() -> reader(noEnd).next()).hasMessage("damaged ar archive (a member header without its end marker)");
    }

    @Test
    void refusesLongNameMembers() throws Exception {
        byte[] ar = TestDebs.ar(Map.of("#1/20", new byte[20]));
        assertThatThrownBy(() -> reader(ar).next()).hasMessageStartingWith("unsupported ar member name '#1/20'");
    }
}
