package dev.vmtree.dom0.images;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The signature Linux appends to a module (scripts/sign-file.c): the PKCS#7 blob, then
 * {@code struct module_signature} (algo, hash, id_type, signer_len, key_id_len, 3 pad bytes,
 * big-endian sig_len), then the marker {@code "~Module signature appended~\n"}.
 *
 * <p>Why vmtree strips it: a kernel built with CONFIG_MODULE_SIG but not MODULE_SIG_FORCE (Debian's)
 * loads an unsigned module all the same, only marking itself tainted ("E"), while checking a
 * signature costs a SHA-256 of the whole module and an RSA verification. On vmtree's interpreter
 * that was about a third of all instructions from power-on to the shell prompt (docs/linux.md).
 */
public final class ModuleSignature {
    static final byte[] MARKER = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    private static final int INFO = 12;

    private ModuleSignature() {}

    /** The module without its appended signature, or {@code ko} itself when it carries none or a malformed one. */
    public static byte[] strip(byte[] ko) {
        int markerAt = ko.length - MARKER.length;
        if (markerAt < INFO || !Arrays.equals(ko, markerAt, ko.length, MARKER, 0, MARKER.length)) {
            return ko;
        }
        ByteBuffer info = ByteBuffer.wrap(ko, markerAt - INFO, INFO);
        int signer = info.get(markerAt - INFO + 3) & 0xff;
        int keyId = info.get(markerAt - INFO + 4) & 0xff;
        long sig = info.getInt(markerAt - INFO + 8) & 0xffffffffL;
        long body = (long) markerAt - INFO - sig - signer - keyId;
        if (body < 64) {
            return ko; // not a signature this reader understands: leave the module as Debian built it
        }
        return Arrays.copyOf(ko, (int) body);
    }
}
