package dev.vmtree.dom0.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** ModuleSignature removes exactly what sign-file appended, and leaves anything else alone. */
class ModuleSignatureTest {
    @Test
    void stripsTheSignatureBlobInfoAndMarker() {
        byte[] ko = TestDebs.module("name=m", "depends=");
        byte[] signed = TestDebs.signed(ko);
        assertThat(signed.length).isEqualTo(ko.length + 264 + 12 + 28);
        assertThat(ModuleSignature.strip(signed)).isEqualTo(ko);
    }

    @Test
    void anUnsignedModuleIsReturnedAsItIs() {
        byte[] ko = TestDebs.module("name=m");
        assertThat(ModuleSignature.strip(ko)).isSameAs(ko);
        assertThat(ModuleSignature.strip(new byte[3])).hasSize(3);
    }

    @Test
    void aSignatureLengthBeyondTheModuleLeavesItUntouched() {
        byte[] signed = TestDebs.signed(TestDebs.module("name=m"));
        byte[] forged = signed.clone();
        int info = forged.length - 28 - 12;
        forged[info + 8] = (byte) 0x7f; // sig_len 0x7f000108: more than the file
        assertThat(ModuleSignature.strip(forged)).isSameAs(forged);
        byte[] cut = Arrays.copyOfRange(signed, signed.length - 40, signed.length); // info + marker, nothing before
        assertThat(ModuleSignature.strip(cut)).isSameAs(cut);
    }
}
